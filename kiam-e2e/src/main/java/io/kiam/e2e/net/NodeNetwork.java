package io.kiam.e2e.net;

import static io.kiam.e2e.net.Commands.run;
import static io.kiam.e2e.net.Commands.runQuietly;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node network namespace joined to the machine by a veth, holding the dummy interface with
 * 169.254.169.254, and one namespace per pod joined to the node by its own veth.
 */
public final class NodeNetwork implements AutoCloseable {
  /** The address the cloud's metadata service answers on; it exists only inside the node. */
  public static final String METADATA_ADDRESS = "169.254.169.254";

  private static final Logger log = LoggerFactory.getLogger(NodeNetwork.class);

  private final RunNames names;
  private final AddressPlan plan;
  private final Map<String, PodNetwork> pods = new LinkedHashMap<>();
  private Map<String, String> podHosts = Map.of();
  private int nextVeth;
  private int nextSlot;
  private boolean closed;

  private NodeNetwork(RunNames names, AddressPlan plan) {
    this.names = names;
    this.plan = plan;
  }

  /** Builds the node namespace; on failure removes whatever it had made. */
  public static NodeNetwork create(RunNames names, AddressPlan plan) {
    destroy(names);
    NodeNetwork network = new NodeNetwork(names, plan);
    try {
      network.buildNode();
      return network;
    } catch (RuntimeException e) {
      network.close();
      throw e;
    }
  }

  private void buildNode() {
    String node = names.nodeNamespace();
    run("ip", "netns", "add", node);
    run("ip", "-n", node, "link", "set", "lo", "up");
    run(
        "ip",
        "link",
        "add",
        names.uplinkHostSide(),
        "type",
        "veth",
        "peer",
        "name",
        names.uplinkNodeSide(),
        "netns",
        node);
    run(
        "ip",
        "addr",
        "add",
        plan.hostAddress() + plan.uplinkCidrSuffix(),
        "dev",
        names.uplinkHostSide());
    run("ip", "link", "set", names.uplinkHostSide(), "up");
    run(
        "ip",
        "-n",
        node,
        "addr",
        "add",
        plan.nodeAddress() + plan.uplinkCidrSuffix(),
        "dev",
        names.uplinkNodeSide());
    run("ip", "-n", node, "link", "set", names.uplinkNodeSide(), "up");
    // forwarding only inside the node: pods reach the machine's uplink address through it
    run("ip", "netns", "exec", node, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
    String metadataDevice = metadataDevice(node);
    run("ip", "-n", node, "addr", "add", METADATA_ADDRESS + "/32", "dev", metadataDevice);
    // the machine's only route for this run: the pods' range, via the node (never 169.254.169.254)
    run(
        "ip",
        "route",
        "add",
        plan.podCidr(),
        "via",
        plan.nodeAddress(),
        "dev",
        names.uplinkHostSide());
    log.atInfo()
        .addKeyValue("netns", node)
        .addKeyValue("node.ip", plan.nodeAddress())
        .log("node network namespace ready");
  }

  /**
   * A dummy interface for 169.254.169.254, as on a node; kernels built without the dummy driver
   * (some micro-VMs) get the address on the node's loopback instead, which routes the same way.
   */
  private static String metadataDevice(String node) {
    if (runQuietly("ip", "-n", node, "link", "add", "metadata0", "type", "dummy").ok()) {
      run("ip", "-n", node, "link", "set", "metadata0", "up");
      return "metadata0";
    }
    log.atInfo().log("no dummy interface driver: 169.254.169.254 goes on the node's loopback");
    return "lo";
  }

  /**
   * Host names every pod added from now on resolves through its own /etc/hosts (which `ip netns
   * exec` mounts from /etc/netns/NAME/hosts): a name for the STS relay, say.
   */
  public synchronized void usePodHosts(Map<String, String> hosts) {
    this.podHosts = Map.copyOf(hosts);
  }

  /** Adds a pod namespace on the next free address. */
  public synchronized PodNetwork addPod(String podName) {
    for (int tried = 0; tried < plan.podSlots(); tried++) {
      String ip = plan.podAddress(nextSlot);
      nextSlot = (nextSlot + 1) % plan.podSlots();
      if (holding(ip).isEmpty()) {
        return addPod(podName, ip);
      }
    }
    throw new IllegalStateException(
        "every pod address of " + plan.podCidr() + " is held by a network namespace");
  }

  /** The pod namespace holding the address, if one does. */
  public synchronized Optional<PodNetwork> holding(String ip) {
    return pods.values().stream().filter(p -> p.ip().equals(ip)).findFirst();
  }

  /**
   * Hands the namespace that holds the address (one left behind by a deleted pod) to another pod:
   * whatever still runs inside it now speaks with the new pod's IP, as after IP reuse on a node.
   */
  public synchronized PodNetwork adopt(String podName, String ip) {
    PodNetwork kept =
        holding(ip)
            .orElseThrow(() -> new IllegalArgumentException("no network namespace holds " + ip));
    pods.remove(kept.podName());
    PodNetwork adopted = new PodNetwork(podName, kept.netns(), ip, kept.nodeVeth());
    pods.put(podName, adopted);
    return adopted;
  }

  /**
   * Puts the servers' addresses on the machine's end of the uplink, routes them from the node, and
   * makes {@code name} resolve to all of them inside the node (its /etc/hosts), as a headless
   * Service's DNS name does in a cluster.
   */
  public synchronized void addServerAddresses(String name, List<String> addresses) {
    List<Map.Entry<String, String>> hosts = new ArrayList<>();
    for (String address : addresses) {
      run("ip", "addr", "add", address + "/32", "dev", names.uplinkHostSide());
      hosts.add(Map.entry(address, name));
    }
    run(
        "ip",
        "-n",
        names.nodeNamespace(),
        "route",
        "add",
        plan.serverCidr(),
        "via",
        plan.hostAddress(),
        "dev",
        names.uplinkNodeSide());
    NetnsEtc.writeHosts(names.nodeNamespace(), hosts);
  }

  /**
   * The servers' addresses inside the node, for servers in the node's host network (the chart's
   * default): on the node's loopback, resolvable under the name inside the node, and routed from
   * the machine through the node so the harness can still reach them.
   */
  public synchronized void addServerAddressesInNode(String name, List<String> addresses) {
    List<Map.Entry<String, String>> hosts = new ArrayList<>();
    for (String address : addresses) {
      run("ip", "-n", names.nodeNamespace(), "addr", "add", address + "/32", "dev", "lo");
      hosts.add(Map.entry(address, name));
    }
    run(
        "ip",
        "route",
        "add",
        plan.serverCidr(),
        "via",
        plan.nodeAddress(),
        "dev",
        names.uplinkHostSide());
    NetnsEtc.writeHosts(names.nodeNamespace(), hosts);
  }

  /**
   * Drops (or with false, lets through again) every packet between the node and the address, inside
   * the node only; safe to repeat.
   */
  public synchronized void dropTraffic(String address, boolean drop) {
    List<List<String>> rules =
        List.of(List.of("OUTPUT", "-d", address), List.of("INPUT", "-s", address));
    for (List<String> rule : rules) {
      boolean present = iptables("-C", rule).ok();
      if (drop && !present) {
        Commands.Result added = iptables("-I", rule);
        if (!added.ok()) {
          throw new IllegalStateException("cannot drop traffic of " + address + ": " + added);
        }
      } else if (!drop && present) {
        iptables("-D", rule);
      }
    }
  }

  private Commands.Result iptables(String action, List<String> rule) {
    List<String> command =
        new ArrayList<>(
            List.of("ip", "netns", "exec", names.nodeNamespace(), "iptables", "-w", action));
    command.add(rule.get(0));
    command.addAll(rule.subList(1, rule.size()));
    command.addAll(List.of("-j", "DROP"));
    return runQuietly(command.toArray(String[]::new));
  }

  /** Adds a pod namespace holding the given address (an address freed by a removed pod, say). */
  public synchronized PodNetwork addPod(String podName, String ip) {
    if (pods.containsKey(podName)) {
      throw new IllegalArgumentException("pod namespace exists already: " + podName);
    }
    if (holding(ip).isPresent()) {
      throw new IllegalArgumentException(
          ip + " is held by network namespace " + holding(ip).get().netns());
    }
    String netns = names.podNamespace(podName);
    String veth = names.podVethNodeSide(nextVeth++);
    String node = names.nodeNamespace();
    runQuietly("ip", "netns", "del", netns);
    run("ip", "netns", "add", netns);
    try {
      run("ip", "-n", netns, "link", "set", "lo", "up");
      run(
          "ip", "link", "add", veth, "netns", node, "type", "veth", "peer", "name", "eth0", "netns",
          netns);
      run("ip", "-n", netns, "addr", "add", ip + "/32", "dev", "eth0");
      run("ip", "-n", netns, "link", "set", "eth0", "up");
      // as with Calico: a /32 pod address, the default route through the node's own address
      run("ip", "-n", netns, "route", "add", plan.nodeAddress(), "dev", "eth0", "scope", "link");
      run("ip", "-n", netns, "route", "add", "default", "via", plan.nodeAddress(), "dev", "eth0");
      run("ip", "-n", node, "link", "set", veth, "up");
      run("ip", "-n", node, "route", "add", ip + "/32", "dev", veth);
    } catch (RuntimeException e) {
      runQuietly("ip", "netns", "del", netns);
      runQuietly("ip", "-n", node, "link", "del", veth);
      throw e;
    }
    if (!podHosts.isEmpty()) {
      NetnsEtc.writeHosts(netns, podHosts);
    }
    PodNetwork pod = new PodNetwork(podName, netns, ip, veth);
    pods.put(podName, pod);
    return pod;
  }

  /** Removes a pod's namespace; deleting the namespace deletes its veth and the node's route. */
  public synchronized void removePod(String podName) {
    PodNetwork pod = pods.remove(podName);
    if (pod == null) {
      return;
    }
    killProcessesIn(pod.netns());
    runQuietly("ip", "netns", "del", pod.netns());
    runQuietly("ip", "-n", names.nodeNamespace(), "link", "del", pod.nodeVeth());
    NetnsEtc.remove(pod.netns());
  }

  public synchronized Optional<PodNetwork> pod(String podName) {
    return Optional.ofNullable(pods.get(podName));
  }

  public synchronized List<PodNetwork> pods() {
    return List.copyOf(pods.values());
  }

  public RunNames names() {
    return names;
  }

  public AddressPlan plan() {
    return plan;
  }

  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      pods.clear();
      destroy(names);
    }
  }

  /**
   * Removes every namespace, veth and route carrying the prefix, killing the processes inside
   * first; safe to repeat and safe when nothing exists.
   */
  public static void destroy(RunNames names) {
    for (String netns : namespacesWithPrefix(names.prefix() + "-")) {
      killProcessesIn(netns);
      runQuietly("ip", "netns", "del", netns);
    }
    // deleting the veth deletes its peer and the route through it
    runQuietly("ip", "link", "del", names.uplinkHostSide());
    NetnsEtc.removeWithPrefix(names.prefix() + "-");
  }

  /** The network namespaces whose names start with the prefix. */
  public static List<String> namespacesWithPrefix(String prefix) {
    List<String> found = new ArrayList<>();
    Commands.Result list = runQuietly("ip", "netns", "list");
    for (String line : list.stdout().split("\n")) {
      String name = line.strip().split("\\s+")[0];
      if (!name.isEmpty() && name.startsWith(prefix)) {
        found.add(name);
      }
    }
    return found;
  }

  private static void killProcessesIn(String netns) {
    Commands.Result pids = runQuietly("ip", "netns", "pids", netns);
    for (String pid : pids.stdout().split("\\s+")) {
      if (!pid.isBlank()) {
        ProcessHandle.of(Long.parseLong(pid.strip()))
            .ifPresent(
                handle -> {
                  handle.descendants().forEach(ProcessHandle::destroyForcibly);
                  handle.destroyForcibly();
                });
      }
    }
  }
}
