package io.kiam.e2e.node;

import io.kiam.common.tls.TlsFiles;
import io.kiam.e2e.cluster.MockCluster;
import io.kiam.e2e.cluster.PodSpec;
import io.kiam.e2e.net.BlockClaim;
import io.kiam.e2e.net.NodeNetwork;
import io.kiam.e2e.net.PodNetwork;
import io.kiam.e2e.probe.ProbeRunner;
import io.kiam.e2e.process.ManagedProcess;
import io.kiam.testkit.pki.TestPki;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A whole Kubernetes node on one machine: network namespaces for the node and its pods, the cloud
 * metadata stand-in, the mock API server, STS, and the real kiam-server and kiam-agent JVMs.
 */
public final class KiamNode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KiamNode.class);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

  private final NodeOptions options;
  private final Deque<AutoCloseable> cleanup = new ArrayDeque<>();
  private final Map<String, NodePod> pods = new LinkedHashMap<>();
  private BlockClaim claim;
  private NodeNetwork network;
  private MockCluster cluster;
  private StsHandle sts;
  private TlsFiles serverTls;
  private TlsFiles agentTls;
  private Path kubeconfig;
  private DaemonCommands commands;
  private final List<ManagedProcess> servers = new ArrayList<>();
  private ManagedProcess agent;
  private ProbeRunner probes;
  private boolean closed;
  private Thread shutdownHook;

  private KiamNode(NodeOptions options) {
    this.options = options;
  }

  /** Builds and starts the node; on any failure removes everything it began. */
  public static KiamNode start(NodeOptions options) {
    KiamNode node = new KiamNode(options);
    // the last resort when the JVM is stopped (SIGTERM, Ctrl-C) before close() runs
    node.shutdownHook = new Thread(node::close, "kiam-node-cleanup");
    Runtime.getRuntime().addShutdownHook(node.shutdownHook);
    try {
      node.startAll();
      return node;
    } catch (RuntimeException | Error e) {
      node.close();
      throw e;
    }
  }

  private void startAll() {
    RunRegistry.sweepDeadTestRuns();
    RunRegistry.removeEverything(options.names());
    RunRegistry.register(options.names());
    cleanup.push(() -> RunRegistry.removeEverything(options.names()));
    claim =
        options.block() == null
            ? BlockClaim.any(new SecureRandom().nextInt(1 << 16))
            : BlockClaim.exactly(options.block());
    cleanup.push(claim);
    network = NodeNetwork.create(options.names(), claim.plan());
    cleanup.push(network);
    if (options.serversInNode()) {
      network.addServerAddressesInNode(DaemonCommands.SERVER_NAME, serverAddresses());
    } else {
      network.addServerAddresses(DaemonCommands.SERVER_NAME, serverAddresses());
    }
    commands = new DaemonCommands(options, claim.plan());
    probes =
        new ProbeRunner(
            options.java(),
            options.harnessJar(),
            options.workDir(),
            options.names().processMarker());

    String host = claim.plan().hostAddress();
    ManagedProcess standIn =
        ManagedProcess.start(
            "metadata-stand-in",
            commands.metadataStandIn(),
            baseEnvironment(),
            log("metadata-stand-in"));
    cleanup.push(standIn);

    CompletableFuture<MockCluster> clusterStart =
        CompletableFuture.supplyAsync(() -> MockCluster.start(host, NodePorts.API_SERVER));
    CompletableFuture<StsHandle> stsStart =
        CompletableFuture.supplyAsync(() -> options.sts().apply(host));
    TestPki pki = TestPki.create(options.workDir().resolve("pki"));
    List<String> names = new ArrayList<>(List.of(DaemonCommands.SERVER_NAME, host, "127.0.0.1"));
    names.addAll(serverAddresses());
    serverTls = pki.issueServer("kiam-server", names);
    agentTls = pki.issueClient("kiam-agent");
    // the agent needs only its certificates: its JVM starts while the API server comes up
    startAgent();
    cluster = join(clusterStart, "mock API server");
    cleanup.push(cluster);
    sts = join(stsStart, "STS endpoint");
    cleanup.push(sts);
    network.usePodHosts(sts.podHosts());
    kubeconfig = cluster.writeKubeconfig(options.workDir().resolve("kubeconfig"));

    if (options.serversInNode()) {
      // servers in the node ask the node's metadata service at start: it must answer first
      awaitListening(standIn);
    }
    startServer();
    awaitListening(standIn);
    awaitServer();
    awaitAgent();
    log.atInfo()
        .addKeyValue("run", options.names().prefix())
        .addKeyValue("node.ip", claim.plan().nodeAddress())
        .log("node ready");
  }

  private static void awaitListening(ManagedProcess standIn) {
    Readiness.await(
        "metadata stand-in",
        START_TIMEOUT,
        standIn,
        () -> Readiness.logContains(standIn, "listening"));
  }

  private static <T> T join(CompletableFuture<T> future, String what) {
    try {
      return future.join();
    } catch (java.util.concurrent.CompletionException e) {
      throw new IllegalStateException(
          "cannot start the " + what + ": " + e.getCause(), e.getCause());
    }
  }

  private Map<String, String> baseEnvironment() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    env.put("HOME", options.workDir().toAbsolutePath().toString());
    return env;
  }

  private Path log(String name) {
    return options.workDir().resolve("logs").resolve(name + ".log");
  }

  private List<String> serverAddresses() {
    List<String> addresses = new ArrayList<>();
    for (int i = 0; i < options.servers(); i++) {
      addresses.add(claim.plan().serverAddress(i));
    }
    return addresses;
  }

  /** Starts every kiam-server that is not running (again); returns without waiting. */
  public synchronized void startServer() {
    boolean started = false;
    for (int i = 0; i < options.servers(); i++) {
      if (i >= servers.size() || !servers.get(i).isAlive()) {
        startServer(i);
        started = true;
      }
    }
    if (!started) {
      throw new IllegalStateException("every kiam-server is running already");
    }
  }

  /** Starts kiam-server number index (0-based) again; returns without waiting. */
  public synchronized void startServer(int index) {
    if (index < servers.size() && servers.get(index).isAlive()) {
      throw new IllegalStateException(serverName(index) + " is running already");
    }
    Map<String, String> env = baseEnvironment();
    if (options.serversInNode()) {
      // inside the node: the SDK's default chain finds the node's role at the metadata stand-in
      env.put("AWS_REGION", sts.region());
    } else {
      // the machine's own namespace must never send to 169.254.169.254: no IMDS fallback
      env.put("AWS_EC2_METADATA_DISABLED", "true");
      env.putAll(sts.serverEnvironment());
    }
    env.putAll(commands.serverEnvironment());
    DaemonImages images = options.images();
    ManagedProcess server;
    if (images != null && images.server() != null) {
      List<String> command =
          commands.serverInImage(index, serverTls, kubeconfig, sts, Map.copyOf(env));
      env.putAll(images.podmanEnvironment());
      server =
          ManagedProcess.start(
              serverName(index),
              command,
              env,
              log(serverName(index)),
              container(DaemonCommands.serverContainer(index)));
    } else {
      List<String> command = commands.server(index, serverTls, kubeconfig.toString(), sts);
      server = ManagedProcess.start(serverName(index), command, env, log(serverName(index)));
    }
    if (index < servers.size()) {
      servers.set(index, server);
    } else {
      servers.add(server);
    }
    cleanup.push(server);
    // As the chart deploys it: explain reads the server's flags from its pod.
    cluster.registerServer(commands.serverArgs(index, serverTls, kubeconfig.toString(), sts));
  }

  /** A container of this run; records the run's use of podman so a crash's leftovers go too. */
  private ManagedProcess.Container container(String daemon) {
    RunRegistry.registerContainers(options.names(), options.images().containersConf());
    return options.images().container(options.names(), daemon);
  }

  /** The name of server number index (0-based): kiam-server alone, or kiam-server-1, -2, ... */
  public String serverName(int index) {
    return options.servers() == 1 ? "kiam-server" : "kiam-server-" + (index + 1);
  }

  /** The address server number index (0-based) listens on. */
  public String serverAddress(int index) {
    return claim.plan().serverAddress(index);
  }

  /** Starts kiam-agent (again) inside the node; returns without waiting. */
  public synchronized void startAgent() {
    if (agent != null && agent.isAlive()) {
      throw new IllegalStateException("kiam-agent is running already");
    }
    Map<String, String> env = baseEnvironment();
    env.putAll(commands.agentEnvironment());
    DaemonImages images = options.images();
    if (images != null && images.agent() != null) {
      List<String> command = commands.agentInImage(agentTls, Map.copyOf(env));
      env.putAll(images.podmanEnvironment());
      agent =
          ManagedProcess.start(
              "kiam-agent",
              command,
              env,
              log("kiam-agent"),
              container(DaemonCommands.AGENT_CONTAINER));
    } else {
      agent = ManagedProcess.start("kiam-agent", commands.agent(agentTls), env, log("kiam-agent"));
    }
    cleanup.push(agent);
  }

  /** Waits until every kiam-server answers SERVING over mutual TLS. */
  public void awaitServer() {
    for (int i = 0; i < options.servers(); i++) {
      awaitServer(i);
    }
  }

  /** Waits until kiam-server number index answers SERVING over mutual TLS. */
  public void awaitServer(int index) {
    ManagedProcess server = servers().get(index);
    try (Readiness.GrpcHealth health =
        new Readiness.GrpcHealth(serverAddress(index), NodePorts.SERVER_GRPC, agentTls)) {
      Readiness.await(server.name(), START_TIMEOUT, server, health::serving);
    }
  }

  /** Waits until kiam-agent answers /ping on the node's address. */
  public void awaitAgent() {
    String url = "http://" + claim.plan().nodeAddress() + ":" + NodePorts.AGENT_HTTP + "/ping";
    Readiness.await("kiam-agent", START_TIMEOUT, agent, () -> Readiness.httpOk(url));
  }

  /** Stops every kiam-server with SIGTERM. */
  public synchronized void stopServer() {
    servers.forEach(ManagedProcess::stop);
  }

  /** Stops kiam-agent with SIGTERM (it keeps its iptables rule by default). */
  public synchronized void stopAgent() {
    agent.stop();
  }

  /** Creates or replaces a namespace; permitted null means no annotation. */
  public void putNamespace(String name, String permitted) {
    cluster.putNamespace(name, permitted);
  }

  /** Creates a pod: its network namespace on the next free address, then the API object. */
  public synchronized NodePod addPod(PodSpec spec) {
    if (spec.hostNetwork()) {
      return register(spec, options.names().nodeNamespace(), claim.plan().nodeAddress());
    }
    PodNetwork net = network.addPod(spec.name());
    return register(spec, net.netns(), net.ip());
  }

  /**
   * Creates a pod on a given address: a free one, or one whose network namespace a deleted pod left
   * behind (the new pod takes that namespace over).
   */
  public synchronized NodePod addPod(PodSpec spec, String ip) {
    boolean kept = network.holding(ip).isPresent();
    PodNetwork net = kept ? network.adopt(spec.name(), ip) : network.addPod(spec.name(), ip);
    return register(spec, net.netns(), net.ip());
  }

  /** Creates only the API object, with an IP nothing answers on (for load); no namespace. */
  public synchronized NodePod addPodWithoutNetwork(PodSpec spec, String ip) {
    return register(spec, null, ip);
  }

  private NodePod register(PodSpec spec, String netns, String ip) {
    if (spec.role() != null) {
      sts.declareRole(roleName(spec.role()));
    }
    cluster.createPod(spec, ip, claim.plan().nodeAddress());
    NodePod pod = new NodePod(spec, netns, ip);
    pods.put(spec.namespace() + "/" + spec.name(), pod);
    return pod;
  }

  private static String roleName(String role) {
    return role.substring(role.lastIndexOf('/') + 1);
  }

  /** Changes a pod's role annotation (null removes it). */
  public synchronized NodePod setRole(NodePod pod, String role) {
    if (role != null) {
      sts.declareRole(roleName(role));
    }
    cluster.setRole(pod.namespace(), pod.name(), role);
    PodSpec old = pod.spec();
    NodePod changed =
        new NodePod(
            new PodSpec(old.namespace(), old.name(), role, old.hostNetwork()),
            pod.netns(),
            pod.ip());
    pods.replace(pod.namespace() + "/" + pod.name(), changed);
    return changed;
  }

  /** Deletes the pod from the API server and removes its network namespace. */
  public synchronized void removePod(NodePod pod) {
    removePod(pod, false);
  }

  /**
   * Deletes the pod from the API server; its network namespace goes too unless kept (then it keeps
   * the IP, and a pod added later on that IP takes it over).
   */
  public synchronized void removePod(NodePod pod, boolean keepNetwork) {
    cluster.deletePod(pod.namespace(), pod.name());
    if (!pod.spec().hostNetwork() && pod.netns() != null && !keepNetwork) {
      network.removePod(pod.name());
    }
    pods.remove(pod.namespace() + "/" + pod.name());
  }

  public synchronized List<NodePod> pods() {
    return List.copyOf(pods.values());
  }

  public ProbeRunner probes() {
    return probes;
  }

  public StsHandle sts() {
    return sts;
  }

  public MockCluster cluster() {
    return cluster;
  }

  public Path kubeconfig() {
    return kubeconfig;
  }

  public NodeNetwork network() {
    return network;
  }

  public String nodeAddress() {
    return claim.plan().nodeAddress();
  }

  /** The first kiam-server. */
  public synchronized ManagedProcess server() {
    return servers.get(0);
  }

  /** Every kiam-server, in order (a restarted one in its old place). */
  public synchronized List<ManagedProcess> servers() {
    return List.copyOf(servers);
  }

  public ManagedProcess agent() {
    return agent;
  }

  /** The agent's mutual-TLS files: what a test presents to ask a server as the agent does. */
  public TlsFiles agentTls() {
    return agentTls;
  }

  public NodeOptions options() {
    return options;
  }

  /** Stops every process and removes every namespace, rule and route; safe to repeat. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (Thread.currentThread() != shutdownHook) {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException e) {
        // the JVM is shutting down already: the hook is running or about to
      }
    }
    while (!cleanup.isEmpty()) {
      AutoCloseable step = cleanup.pop();
      try {
        step.close();
      } catch (Exception e) {
        log.atWarn().log("clean-up step failed, going on", e);
      }
    }
  }
}
