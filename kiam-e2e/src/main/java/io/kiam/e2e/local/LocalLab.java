package io.kiam.e2e.local;

import io.kiam.e2e.cluster.MockCluster;
import io.kiam.e2e.cluster.PodSpec;
import io.kiam.e2e.metadata.NodeIdentity;
import io.kiam.e2e.net.AddressPlan;
import io.kiam.e2e.net.NodeNetwork;
import io.kiam.e2e.net.PodNetwork;
import io.kiam.e2e.node.KiamNode;
import io.kiam.e2e.node.NodePod;
import io.kiam.e2e.node.TestkitSts;
import io.kiam.e2e.process.ManagedProcess;
import io.kiam.testkit.sts.AssumeRoleCall;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Collectors;

/**
 * What `./kiam-local pod|namespace|fault|status` do on the running node. Every command checks its
 * input before it changes anything: bad input throws {@link IllegalArgumentException} with one line
 * saying why, and leaves the node as it was.
 */
final class LocalLab {
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final Pattern IPV4 =
      Pattern.compile(
          "((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
  private static final int MAX_POD_NAME = 40;
  // pods without a network namespace take addresses of the benchmarking range (RFC 2544):
  // nothing on the machine routes it, and the node's own pod range stays for real pods
  private static final int LOAD_RANGE_BASE = (198 << 24) | (18 << 16);
  private static final int LOAD_RANGE_SIZE = 1 << 17;

  private final KiamNode node;
  private final LocalFaults faults;
  private final Path logs;
  private int nextLoadAddress = 1;

  LocalLab(KiamNode node, LocalConfig config, Path logs) {
    this.node = node;
    this.faults = new LocalFaults(node, config);
    this.logs = logs;
  }

  /** `pod add`: returns the line to print (the pod's IP and namespaces). */
  synchronized String addPod(
      String name, String namespace, String role, String ip, boolean noNetns, boolean hostNetwork) {
    requireLabel("pod name", name, MAX_POD_NAME);
    requireNamespace(namespace);
    if (find(name, namespace).isPresent()) {
      throw new IllegalArgumentException("pod " + namespace + "/" + name + " exists already");
    }
    if (role != null && role.isBlank()) {
      throw new IllegalArgumentException("--role is empty (leave it out for none)");
    }
    if (hostNetwork && ip != null) {
      throw new IllegalArgumentException(
          "a --host-network pod has the node's IP (" + node.nodeAddress() + "): drop --ip");
    }
    PodSpec spec = new PodSpec(namespace, name, role, hostNetwork);
    NodePod pod;
    if (hostNetwork) {
      pod = node.addPod(spec);
    } else if (noNetns) {
      pod = node.addPodWithoutNetwork(spec, ip == null ? nextLoadAddress() : checkedIp(ip, false));
    } else {
      String netns = network().names().podNamespace(name);
      Optional<PodNetwork> kept = ip == null ? Optional.empty() : network().holding(ip);
      boolean adopting = kept.isPresent() && !heldByPod(ip);
      if (!NodeNetwork.namespacesWithPrefix(netns).stream().filter(netns::equals).toList().isEmpty()
          && !(adopting && kept.get().netns().equals(netns))) {
        throw new IllegalArgumentException(
            "network namespace "
                + netns
                + " exists (a pod of that name, or one deleted with --keep-netns: add with"
                + " --ip ITS_IP to reuse it)");
      }
      pod = ip == null ? node.addPod(spec) : node.addPod(spec, checkedIp(ip, true));
    }
    return "pod "
        + namespace
        + "/"
        + name
        + ": ip "
        + pod.ip()
        + ", network namespace "
        + (pod.netns() == null ? "none (--no-netns)" : pod.netns());
  }

  /** The network namespace `exec` runs in: the pod's own, or the node's for a hostNetwork pod. */
  synchronized String netnsOf(String name) {
    NodePod pod = require(name, null);
    if (pod.netns() == null) {
      throw new IllegalArgumentException(
          "pod " + key(pod) + " has no network namespace (added with --no-netns)");
    }
    return pod.netns();
  }

  /** `pod delete`: returns the line to print. */
  synchronized String deletePod(String name, String namespace, boolean keepNetns) {
    NodePod pod = require(name, namespace);
    if (keepNetns && (pod.netns() == null || pod.spec().hostNetwork())) {
      throw new IllegalArgumentException(
          "pod " + key(pod) + " has no network namespace of its own to keep");
    }
    node.removePod(pod, keepNetns);
    return "pod "
        + key(pod)
        + " deleted"
        + (keepNetns ? "; " + pod.netns() + " kept with " + pod.ip() : "");
  }

  /** `pod annotate`: role null removes the annotation. */
  synchronized String annotatePod(String name, String namespace, String role) {
    if (role != null && role.isBlank()) {
      throw new IllegalArgumentException("--role is empty (use --no-role to remove it)");
    }
    NodePod pod = require(name, namespace);
    node.setRole(pod, role);
    return "pod " + key(pod) + ": " + (role == null ? "no role annotation" : "role " + role);
  }

  /** `namespace annotate`: creates the namespace when it does not exist. */
  synchronized String annotateNamespace(String name, String permitted) {
    requireLabel("namespace name", name, 63);
    if (permitted != null) {
      try {
        Pattern.compile(permitted);
      } catch (PatternSyntaxException e) {
        throw new IllegalArgumentException(
            "--permitted is not a regular expression: " + e.getDescription());
      }
    }
    boolean exists = namespaceExists(name);
    node.putNamespace(name, permitted);
    return "namespace "
        + name
        + (exists ? "" : " created")
        + ": "
        + (permitted == null ? "permits no role" : "permits roles matching " + permitted);
  }

  String fault(List<String> args) {
    return faults.apply(args);
  }

  synchronized LocalStatus status() {
    List<LocalStatus.Pod> pods =
        node.pods().stream()
            .map(
                p ->
                    new LocalStatus.Pod(
                        p.name(), p.namespace(), p.ip(), p.netns(), p.spec().role()))
            .toList();
    List<LocalStatus.Server> servers = new ArrayList<>();
    for (int i = 0; i < node.servers().size(); i++) {
      ManagedProcess server = node.servers().get(i);
      servers.add(
          new LocalStatus.Server(
              node.serverName(i),
              server.isAlive() ? server.pid() : null,
              node.serverAddress(i),
              faults.serverState(i)));
    }
    ManagedProcess agent = node.agent();
    LocalStatus.Agent agentStatus =
        agent.isAlive()
            ? new LocalStatus.Agent(agent.pid(), agent.rssKiB())
            : new LocalStatus.Agent(null, null);
    Set<String> held =
        node.pods().stream().map(NodePod::netns).filter(n -> n != null).collect(Collectors.toSet());
    List<LocalStatus.KeptNetns> kept =
        network().pods().stream()
            .filter(p -> !held.contains(p.netns()))
            .map(p -> new LocalStatus.KeptNetns(p.netns(), p.ip()))
            .toList();
    return new LocalStatus(
        node.sts().url(),
        node.sts().region(),
        node.kubeconfig().toAbsolutePath().toString(),
        NodeIdentity.ACCESS_KEY_ID,
        node.nodeAddress(),
        ProcessHandle.current().pid(),
        logs.toAbsolutePath().toString(),
        pods,
        servers,
        agentStatus,
        stsCalls(),
        new LocalStatus.Faults(node.cluster().gate().isDown() ? "down" : "up", faults.stsFaults()),
        kept);
  }

  private LocalStatus.Sts stsCalls() {
    if (!(node.sts() instanceof TestkitSts local)) {
      return null;
    }
    List<AssumeRoleCall> calls = local.endpoint().calls().assumeRoleCalls();
    Map<String, Integer> byRole = new TreeMap<>();
    Set<String> callers = new TreeSet<>();
    for (AssumeRoleCall call : calls) {
      byRole.merge(String.valueOf(call.roleArn()), 1, Integer::sum);
      callers.add(call.callerArn());
    }
    return new LocalStatus.Sts(calls.size(), byRole, List.copyOf(callers));
  }

  private NodeNetwork network() {
    return node.network();
  }

  private AddressPlan plan() {
    return network().plan();
  }

  private String checkedIp(String ip, boolean withNetns) {
    if (!IPV4.matcher(ip).matches()) {
      throw new IllegalArgumentException("--ip '" + ip + "' is not an IPv4 address");
    }
    if (ip.equals(node.nodeAddress())) {
      throw new IllegalArgumentException(ip + " is the node's IP: use --host-network");
    }
    if (heldByPod(ip)) {
      NodePod holder =
          node.pods().stream().filter(p -> ip.equals(p.ip())).findFirst().orElseThrow();
      throw new IllegalArgumentException(ip + " is taken by pod " + key(holder));
    }
    if (withNetns && !plan().isPodAddress(ip)) {
      throw new IllegalArgumentException(
          "--ip "
              + ip
              + " is outside the node's pod range "
              + plan().podCidr()
              + " ("
              + plan().podAddress(0)
              + " to "
              + plan().podAddress(plan().podSlots() - 1)
              + "); pods with --no-netns may take any address");
    }
    return ip;
  }

  private boolean heldByPod(String ip) {
    return node.pods().stream().anyMatch(p -> ip.equals(p.ip()) && !p.spec().hostNetwork());
  }

  private String nextLoadAddress() {
    Set<String> used = node.pods().stream().map(NodePod::ip).collect(Collectors.toSet());
    for (int tried = 0; tried < LOAD_RANGE_SIZE; tried++) {
      int offset = nextLoadAddress;
      nextLoadAddress = nextLoadAddress % (LOAD_RANGE_SIZE - 2) + 1;
      int address = LOAD_RANGE_BASE + offset;
      String ip =
          ((address >>> 24) & 0xFF)
              + "."
              + ((address >>> 16) & 0xFF)
              + "."
              + ((address >>> 8) & 0xFF)
              + "."
              + (address & 0xFF);
      if (!used.contains(ip) && !ip.endsWith(".0") && !ip.endsWith(".255")) {
        return ip;
      }
    }
    throw new IllegalStateException("no free address left in 198.18.0.0/15");
  }

  private Optional<NodePod> find(String name, String namespace) {
    return node.pods().stream()
        .filter(p -> p.name().equals(name) && p.namespace().equals(namespace))
        .findFirst();
  }

  /** The pod; without a namespace, the only pod of that name. */
  private NodePod require(String name, String namespace) {
    List<NodePod> matching =
        node.pods().stream()
            .filter(p -> p.name().equals(name))
            .filter(p -> namespace == null || p.namespace().equals(namespace))
            .toList();
    if (matching.isEmpty()) {
      throw new IllegalArgumentException(
          "no pod '"
              + name
              + "'"
              + (namespace == null ? "" : " in namespace " + namespace)
              + " (see './kiam-local status')");
    }
    if (matching.size() > 1) {
      throw new IllegalArgumentException(
          "pods named '"
              + name
              + "' are in several namespaces ("
              + matching.stream().map(NodePod::namespace).toList()
              + "): give --namespace");
    }
    return matching.get(0);
  }

  private void requireNamespace(String namespace) {
    if (namespace == null) {
      throw new IllegalArgumentException("pod add needs --namespace NS");
    }
    if (!namespaceExists(namespace)) {
      throw new IllegalArgumentException(
          "no namespace '"
              + namespace
              + "': create it with './kiam-local namespace annotate "
              + namespace
              + " --permitted REGEX' (or --no-permitted)");
    }
  }

  private boolean namespaceExists(String name) {
    MockCluster cluster = node.cluster();
    return cluster.client().namespaces().withName(name).get() != null;
  }

  private static void requireLabel(String what, String value, int max) {
    if (value == null || value.length() > max || !DNS_LABEL.matcher(value).matches()) {
      throw new IllegalArgumentException(
          what
              + " '"
              + value
              + "' must be lower-case letters, digits and '-', at most "
              + max
              + " characters");
    }
  }

  private static String key(NodePod pod) {
    return pod.namespace() + "/" + pod.name();
  }
}
