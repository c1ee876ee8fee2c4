package io.kiam.agent;

import io.kiam.agent.client.ClientMetrics;
import io.kiam.agent.client.ClientSettings;
import io.kiam.agent.client.GrpcServerClient;
import io.kiam.agent.client.HostLookup;
import io.kiam.agent.client.NodeAwareClient;
import io.kiam.agent.client.ServerClient;
import io.kiam.agent.http.ConnectionLimits;
import io.kiam.agent.http.MetadataInitializer;
import io.kiam.agent.http.MetadataServer;
import io.kiam.agent.imds.InterceptionCheck;
import io.kiam.agent.imds.MetadataServices;
import io.kiam.agent.imds.Router;
import io.kiam.agent.imds.TokenIssuer;
import io.kiam.agent.iptables.CommandRunner;
import io.kiam.agent.iptables.HostInterface;
import io.kiam.agent.iptables.IptablesRules;
import io.kiam.agent.iptables.ProcessRunner;
import io.kiam.agent.metrics.AgentMetrics;
import io.kiam.agent.node.ImdsV1Probe;
import io.kiam.agent.node.ImdsV1Watch;
import io.kiam.agent.node.NodeTaints;
import io.kiam.agent.node.StartupTaintRemover;
import io.kiam.agent.upstream.UpstreamProxy;
import io.kiam.common.metrics.MetricsEndpoint;
import io.kiam.common.tls.ReloadingTls;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's parts wired together: the gRPC client to the servers, the iptables rule, the metadata
 * server and the metrics endpoint. {@link #start()} brings them up in that order and undoes what it
 * began if a part fails; {@link #close()} stops them in reverse.
 */
public final class Agent implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Agent.class);

  /** Pods ask little and answers come from the servers' caches: two event loops are plenty. */
  static final int EVENT_LOOP_THREADS = 2;

  /**
   * How long start waits for a server to answer before listening anyway: the first pods' requests
   * then find a warm TLS connection instead of a 503, and a missing server delays liveness little.
   */
  public static final Duration STARTUP_WAIT = Duration.ofSeconds(5);

  /** How often the TLS files are checked for a rotated certificate. */
  static final Duration TLS_CHECK_EVERY = Duration.ofSeconds(30);

  private static final Duration IMDS_CHECK_TIMEOUT = Duration.ofSeconds(2);

  private final AgentConfig config;
  private final ServerClient givenClient;
  private final CommandRunner commandRunner;
  private final PrometheusRegistry registry;
  private final Duration startupWait;
  private final LongSupplier accessLogDropped;
  private final ConnectionLimits connectionLimits;
  private final UnaryOperator<ClientSettings> clientTuning;
  private final NodeTaints taints;
  private final String taintKey;
  private final Deque<AutoCloseable> started = new ArrayDeque<>();
  private final CountDownLatch closed = new CountDownLatch(1);
  private MetadataServer server;
  private MetricsEndpoint metricsEndpoint;
  private boolean running;

  private Agent(Builder builder) {
    this.config = builder.config;
    this.givenClient = builder.serverClient;
    this.commandRunner = builder.commandRunner;
    this.registry = builder.registry;
    this.startupWait = builder.startupWait;
    this.accessLogDropped = builder.accessLogDropped;
    this.connectionLimits = builder.connectionLimits;
    this.clientTuning = builder.clientTuning;
    this.taints = builder.taints;
    this.taintKey = builder.taintKey;
  }

  /** A builder with the real collaborators; tests swap the server client, iptables or registry. */
  public static Builder builder(AgentConfig config) {
    return new Builder(config);
  }

  /** Starts every part; on failure, stops what had started and rethrows. Idempotent. */
  public synchronized void start() {
    if (running) {
      return;
    }
    try {
      ServerClient client = connect();
      awaitServers(client, startupWait);
      InterceptionCheck interception = intercept();
      serve(client, interception);
      if (taints != null) {
        remember(removeStartupTaint(client, interception));
      }
      if (!config.imdsCheckInterval().isZero()) {
        // the boot window's last line: warn while the node's own metadata service answers IMDSv1
        remember(
            ImdsV1Watch.start(
                new ImdsV1Probe(config.metadataEndpoint(), IMDS_CHECK_TIMEOUT),
                config.imdsCheckInterval(),
                registry));
      }
      config
          .prometheusListen()
          .ifPresent(address -> metricsEndpoint = remember(MetricsEndpoint.start(address)));
      running = true;
      log.atInfo()
          .addKeyValue("listen", NetUtil.toSocketAddressString(server.address()))
          .addKeyValue("server.address", config.serverAddress())
          .addKeyValue("node.name", config.nodeName().orElse(""))
          .addKeyValue("iptables", config.iptables())
          .addKeyValue("require_imdsv2", config.requireImdsv2())
          .log("kiam-agent started");
    } catch (RuntimeException e) {
      stopAll();
      throw e;
    }
  }

  private ServerClient connect() {
    if (givenClient != null) {
      return givenClient;
    }
    ReloadingTls tls = remember(ReloadingTls.load(config.tls()));
    tls.start(TLS_CHECK_EVERY);
    remember(io.kiam.common.tls.TlsExpiryMetric.register(registry, tls));
    ClientSettings settings =
        clientTuning.apply(
            ClientSettings.defaults(config.serverAddress())
                .withCallTimeout(config.serverTimeout()));
    ClientMetrics metrics =
        registry == PrometheusRegistry.defaultRegistry
            ? ClientMetrics.defaultRegistry()
            : new ClientMetrics(registry);
    GrpcServerClient servers =
        GrpcServerClient.connect(settings, tls, HostLookup.system(), metrics);
    if (config.nodeName().isEmpty()) {
      log.warn("no --node-name (NODE_NAME): every pod request asks a kiam-server");
      return remember(servers);
    }
    NodeAwareClient node =
        remember(
            NodeAwareClient.start(servers, config.nodeName().get(), config.disconnectedGrace()));
    GaugeWithCallback.builder()
        .name("kiam_agent_node_stream_live")
        .help("1 while the node stream is live and the agent answers its pods from memory")
        .callback(cb -> cb.call(node.live() ? 1 : 0))
        .register(registry);
    GaugeWithCallback.builder()
        .name("kiam_agent_node_pods")
        .help("Pod IPs of this node the agent holds in memory from the node stream")
        .callback(cb -> cb.call(node.known()))
        .register(registry);
    CounterWithCallback.builder()
        .name("kiam_agent_pod_lookups_total")
        .help(
            "Role and credential look-ups by where the answer came from: memory (no server call),"
                + " cold (one call for an IP memory does not know), unary (the per-request calls)")
        .labelNames("source")
        .callback(
            cb -> {
              for (NodeAwareClient.Source source : NodeAwareClient.Source.values()) {
                cb.call(node.lookups(source), source.name().toLowerCase(Locale.ROOT));
              }
            })
        .register(registry);
    return node;
  }

  private static void awaitServers(ServerClient client, Duration wait) {
    long deadline = System.nanoTime() + wait.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (client.healthy().get(wait.toMillis(), TimeUnit.MILLISECONDS)) {
          log.info("a kiam-server answers as serving");
          return;
        }
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        // Not reachable yet: ask again until the wait is over.
      }
    }
    log.atWarn()
        .log(
            "no kiam-server answered within {}ms; listening anyway, pods get 503 until one does",
            wait.toMillis());
  }

  /** Lifts the node's startup taint once the rule is in place and a server answers. */
  private StartupTaintRemover removeStartupTaint(
      ServerClient client, InterceptionCheck interception) {
    String node =
        config
            .nodeName()
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "--remove-startup-taint needs --node-name (NODE_NAME): the agent removes"
                            + " the taint from its own node only"));
    return StartupTaintRemover.start(
        taints,
        node,
        taintKey,
        () -> {
          Optional<String> rule = interception.problem();
          if (rule.isPresent()) {
            return rule;
          }
          try {
            return client.healthy().get(STARTUP_WAIT.toMillis(), TimeUnit.MILLISECONDS)
                ? Optional.empty()
                : Optional.of("no kiam-server answers as serving");
          } catch (java.util.concurrent.ExecutionException
              | java.util.concurrent.TimeoutException e) {
            return Optional.of("no kiam-server reachable");
          }
        });
  }

  /** Installs the DNAT rule before the server listens: pods get "refused", never the node. */
  private InterceptionCheck intercept() {
    if (!config.iptables()) {
      return InterceptionCheck.notManaged();
    }
    IptablesRules rules =
        new IptablesRules(
            config.hostInterfaces().stream().map(HostInterface::parse).toList(),
            config.host().orElseThrow(),
            config.port(),
            commandRunner);
    rules.checkUsable();
    rules.install();
    if (config.iptablesRemove()) {
      remember(rules::remove);
    }
    String interfaces = String.join(",", config.hostInterfaces());
    return () ->
        rules.isInstalled()
            ? Optional.empty()
            : Optional.of("iptables DNAT rule for " + interfaces + " is missing");
  }

  private void serve(ServerClient client, InterceptionCheck interception) {
    EventLoopGroup group =
        new MultiThreadIoEventLoopGroup(
            EVENT_LOOP_THREADS,
            new DefaultThreadFactory("kiam-metadata", true),
            NioIoHandler.newFactory());
    remember(() -> group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly());
    ExecutorService blocking =
        Executors.newSingleThreadExecutor(new DefaultThreadFactory("kiam-checks", true));
    remember(blocking::shutdownNow);
    UpstreamProxy upstream =
        new UpstreamProxy(config.metadataEndpoint(), group, AgentConfig.UPSTREAM_TIMEOUT);
    MetadataServices services =
        new MetadataServices(
            client,
            new TokenIssuer(Clock.systemUTC(), new SecureRandom()),
            new Router(config.allowRoute()),
            upstream,
            interception,
            blocking,
            config.requireImdsv2(),
            config.requestTimeout(),
            new AgentMetrics(registry));
    CounterWithCallback.builder()
        .name("kiam_agent_access_log_dropped_total")
        .help("Access log lines dropped because the log queue was full (requests never wait)")
        .callback(cb -> cb.call(accessLogDropped.getAsLong()))
        .register(registry);
    server =
        remember(
            MetadataServer.start(
                config.listenAddress(),
                group,
                new MetadataInitializer(
                    services,
                    AgentConfig.IDLE_TIMEOUT,
                    AgentConfig.SLOW_REQUEST_TIMEOUT,
                    connectionLimits)));
  }

  /** Where the metadata server listens (after {@link #start()}). */
  public InetSocketAddress address() {
    return server.address();
  }

  /** The port of the metrics endpoint, if one was asked for (after {@link #start()}). */
  public Optional<Integer> metricsPort() {
    return Optional.ofNullable(metricsEndpoint).map(MetricsEndpoint::port);
  }

  /** Blocks until {@link #close()} has run. */
  public void awaitClosed() throws InterruptedException {
    closed.await();
  }

  /** Stops every part in reverse order of starting; the iptables rule stays unless asked. */
  @Override
  public synchronized void close() {
    if (closed.getCount() == 0) {
      return;
    }
    stopAll();
    running = false;
    log.info("kiam-agent stopped");
    closed.countDown();
  }

  private void stopAll() {
    while (!started.isEmpty()) {
      AutoCloseable part = started.pop();
      try {
        part.close();
      } catch (Exception e) {
        log.atWarn().setCause(e).log("failed to stop a part of the agent, going on");
      }
    }
  }

  private <T extends AutoCloseable> T remember(T part) {
    started.push(part);
    return part;
  }

  /** Chooses the collaborators; the defaults are the real ones. */
  public static final class Builder {
    private final AgentConfig config;
    private ServerClient serverClient;
    private CommandRunner commandRunner = new ProcessRunner();
    private PrometheusRegistry registry = PrometheusRegistry.defaultRegistry;
    private Duration startupWait = STARTUP_WAIT;
    private LongSupplier accessLogDropped = () -> 0;
    private ConnectionLimits connectionLimits = ConnectionLimits.defaults();
    private UnaryOperator<ClientSettings> clientTuning = UnaryOperator.identity();
    private NodeTaints taints;
    private String taintKey;

    private Builder(AgentConfig config) {
      this.config = config;
    }

    /** Talk to these servers instead of connecting with gRPC (the agent will not close it). */
    public Builder serverClient(ServerClient client) {
      this.serverClient = client;
      return this;
    }

    /** Run iptables through this runner. */
    public Builder commandRunner(CommandRunner runner) {
      this.commandRunner = runner;
      return this;
    }

    /** Register metrics here instead of the default registry (which /metrics serves). */
    public Builder registry(PrometheusRegistry value) {
      this.registry = value;
      return this;
    }

    /** How long start waits for a server to answer (zero: not at all). */
    public Builder startupWait(Duration value) {
      this.startupWait = value;
      return this;
    }

    /** Where the count of access-log lines dropped by a full queue comes from. */
    public Builder accessLogDropped(LongSupplier value) {
      this.accessLogDropped = value;
      return this;
    }

    /** Hold pod connections within these limits. */
    public Builder connectionLimits(ConnectionLimits value) {
      this.connectionLimits = value;
      return this;
    }

    /** Adjusts the gRPC client's settings (kiam's keepalive flags). */
    public Builder clientSettings(UnaryOperator<ClientSettings> tuning) {
      this.clientTuning = java.util.Objects.requireNonNull(tuning, "tuning");
      return this;
    }

    /** Remove the taint with this key from the agent's own node once it is ready for pods. */
    public Builder startupTaint(String key, NodeTaints nodeTaints) {
      this.taintKey = java.util.Objects.requireNonNull(key, "key");
      this.taints = java.util.Objects.requireNonNull(nodeTaints, "nodeTaints");
      return this;
    }

    public Agent build() {
      return new Agent(this);
    }
  }
}
