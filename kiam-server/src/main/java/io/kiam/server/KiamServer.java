package io.kiam.server;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kiam.common.cli.DurationConverter;
import io.kiam.common.metrics.MetricsEndpoint;
import io.kiam.common.tls.ReloadingTls;
import io.kiam.server.events.KubernetesPodEvents;
import io.kiam.server.events.PodEvents;
import io.kiam.server.grpc.GrpcMetrics;
import io.kiam.server.grpc.GrpcServer;
import io.kiam.server.grpc.HealthOnlyServer;
import io.kiam.server.grpc.KiamGrpcService;
import io.kiam.server.grpc.NodeIdentityInterceptor;
import io.kiam.server.grpc.ServerHealth;
import io.kiam.server.identity.TokenReviewer;
import io.kiam.server.k8s.KubernetesCaches;
import io.kiam.server.k8s.NamespaceStore;
import io.kiam.server.k8s.PodStore;
import io.kiam.server.k8s.StaleViewGuard;
import io.kiam.server.nodes.NodeStreams;
import io.kiam.server.policy.ArnResolver;
import io.kiam.server.roles.DecisionLog;
import io.kiam.server.roles.PodRoles;
import io.kiam.server.roles.Prefetcher;
import io.kiam.server.roles.RoleUsageTracker;
import io.kiam.server.roles.SessionNamer;
import io.kiam.server.sts.CredentialUpdates;
import io.kiam.server.sts.CredentialsSource;
import io.kiam.server.sts.RoleUsage;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * kiam-server's parts wired together with a lifecycle: start() brings up TLS, the informers, the
 * gRPC server and metrics (idempotent; a failed start undoes what it began), close() takes them
 * down in reverse order after health turns NOT_SERVING. Built with {@link #builder} so tests can
 * swap the Kubernetes client, the credentials source and the clock.
 */
public final class KiamServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KiamServer.class);
  private static final Duration TLS_CHECK_EVERY = Duration.ofSeconds(10);
  private static final Duration EVENT_INTERVAL = Duration.ofMinutes(5);

  private final ServerConfig config;
  private final KubernetesClient client;
  private final boolean ownsClient;
  private final ArnResolver resolver;
  private final SessionNamer sessionNamer;
  private final Function<RoleUsage, CredentialsSource> credentialsFactory;
  private final Clock clock;
  private final PrometheusRegistry registry;
  private final boolean recordEvents;
  private final String instance;
  private final AutoCloseable alsoClose;
  private final ServerTuning tuning;
  private final TokenReviewer nodeIdentity;

  private final Deque<AutoCloseable> started = new ArrayDeque<>();
  private final CountDownLatch closed = new CountDownLatch(1);
  private boolean starting;
  private volatile boolean closing;
  private ServerHealth health;
  private GrpcServer grpc;
  private KubernetesCaches caches;
  private PodStore pods;
  private NamespaceStore namespaces;
  private RoleUsageTracker usage;
  private MetricsEndpoint metricsEndpoint;
  private HealthOnlyServer healthOnly;
  private CompletableFuture<Void> synced;

  private KiamServer(Builder b) {
    this.config = b.config;
    this.client = b.client;
    this.ownsClient = b.ownsClient;
    this.resolver = b.resolver;
    this.sessionNamer = b.sessionNamer;
    this.credentialsFactory = b.credentialsFactory;
    this.clock = b.clock;
    this.registry = b.registry;
    this.recordEvents = b.recordEvents;
    this.instance = b.instance;
    this.alsoClose = b.alsoClose;
    this.tuning = b.tuning;
    this.nodeIdentity = b.nodeIdentity;
  }

  /** A builder for the given settings. */
  public static Builder builder(ServerConfig config) {
    return new Builder(config);
  }

  /**
   * Starts everything (idempotent). Returns once the gRPC port is open; health turns SERVING when
   * the informers have synced (see {@link #synced()}).
   */
  public synchronized void start() {
    if (starting) {
      return;
    }
    starting = true;
    try {
      doStart();
    } catch (RuntimeException | Error e) {
      closeStarted();
      throw e;
    }
  }

  private void doStart() {
    ReloadingTls tls = ReloadingTls.load(config.tls());
    started.push(tls);
    tls.start(TLS_CHECK_EVERY);
    AutoCloseable expiry = io.kiam.common.tls.TlsExpiryMetric.register(registry, tls);
    started.push(expiry);

    int threads = Math.max(4, Runtime.getRuntime().availableProcessors() * 2);
    AtomicInteger n = new AtomicInteger();
    ExecutorService executor =
        Executors.newFixedThreadPool(
            threads,
            r -> {
              Thread t = new Thread(r, "kiam-grpc-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    started.push(() -> shutdownExecutor(executor));

    PodEvents events = PodEvents.none();
    if (recordEvents) {
      KubernetesPodEvents k8sEvents =
          new KubernetesPodEvents(client, clock, EVENT_INTERVAL, instance);
      started.push(k8sEvents);
      events = k8sEvents;
    }

    pods = new PodStore(executor);
    namespaces = new NamespaceStore(tuning.anchoredNamespaces());
    PodRoles roles =
        new PodRoles(
            resolver, sessionNamer, config.session(), namespaces, events, config.sessionTags());
    usage = new RoleUsageTracker(roles);
    CredentialsSource credentials = credentialsFactory.apply(usage);
    if (credentials instanceof AutoCloseable closeable) {
      started.push(closeable);
    }
    pods.addListener(usage);
    Prefetcher prefetcher = new Prefetcher(roles, credentials);
    pods.addListener(prefetcher);
    namespaces.onPermissionChange(
        ns -> {
          // During the initial list the sync pass below covers every pod at once.
          if (caches.synced()) {
            prefetcher.prefetchAll(pods.pods().filter(p -> p.namespace().equals(ns.name())));
          }
        });
    DecisionLog decisions = new DecisionLog();
    pods.addListener(decisions);
    NodeStreams nodeStreams = new NodeStreams(pods, roles, credentials, decisions);
    pods.addListener(nodeStreams);
    namespaces.onPermissionChange(nodeStreams::namespaceChanged);
    if (credentials instanceof CredentialUpdates updates) {
      updates.onCredentialsChanged(nodeStreams::credentialsChanged);
    }
    ScheduledThreadPoolExecutor heartbeats =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "kiam-node-stream-heartbeats");
              t.setDaemon(true);
              return t;
            });
    heartbeats.setRemoveOnCancelPolicy(true);
    started.push(heartbeats::shutdownNow);
    registerGauges();
    gauge(
        "kiam_server_node_streams",
        "WatchNode streams (agents) subscribed now",
        nodeStreams::subscriptions);

    caches = new KubernetesCaches(client, pods, namespaces, clock);
    started.push(caches);
    StaleViewGuard guardedPods =
        new StaleViewGuard(
            pods, () -> caches.staleReason(config.watchStaleAfter()), staleRefusals()::inc);
    pods.addListener(guardedPods);
    registerStalenessGauge();

    health = new ServerHealth();
    GrpcMetrics metrics = new GrpcMetrics(registry);
    started.push(metrics);
    KiamGrpcService service =
        new KiamGrpcService(
            guardedPods,
            roles,
            credentials,
            caches::synced,
            config.podWait(),
            metrics,
            decisions,
            nodeStreams,
            heartbeats);
    if (config.healthListen().isPresent()) {
      // started before and closed after the gRPC port, so probes see NOT_SERVING while it drains
      healthOnly = new HealthOnlyServer(config.healthListen().get(), health);
      healthOnly.start();
      started.push(healthOnly);
    }
    grpc =
        new GrpcServer(
            config.bind(),
            tls.grpcServerContext(),
            service,
            health,
            metrics,
            executor,
            tuning.grpc(),
            nodeIdentity == null
                ? List.of()
                : List.of(new NodeIdentityInterceptor(nodeIdentity, pods)));
    grpc.start();
    started.push(() -> grpc.shutdown(config.shutdownGrace()));
    // Streams never end by themselves: end them first so shutdown need not wait out the grace.
    started.push(nodeStreams);
    started.push(health::shuttingDown);

    if (config.prometheusListen().isPresent()) {
      metricsEndpoint = MetricsEndpoint.start(config.prometheusListen().get());
      started.push(metricsEndpoint);
    }

    synced =
        caches
            .start()
            .thenRun(
                () -> {
                  prefetcher.prefetchAll(pods.pods());
                  health.serving();
                });
    if (!tuning.resync().isZero()) {
      started.push(resyncEvery(tuning.resync(), () -> prefetcher.prefetchAll(pods.pods())));
    }
    synced.whenComplete(
        (ok, failure) -> {
          if (failure != null && closed.getCount() > 0 && !closing) {
            log.error("pod and namespace caches did not sync; staying NOT_SERVING", failure);
          }
        });
    log.atInfo()
        .addKeyValue("bind", config.bind().getHostString() + ":" + grpc.port())
        .addKeyValue("pod.wait", DurationConverter.format(config.podWait()))
        .log("kiam-server started; NOT_SERVING until the pod and namespace caches sync");
  }

  /** Completes when both informers have synced and health says SERVING. */
  public synchronized CompletableFuture<Void> synced() {
    if (synced == null) {
      throw new IllegalStateException("not started");
    }
    return synced;
  }

  /** The gRPC port actually bound (useful with --bind :0 in tests). */
  public synchronized int grpcPort() {
    if (grpc == null) {
      throw new IllegalStateException("not started");
    }
    return grpc.port();
  }

  /** The metrics port actually bound, or -1 when metrics are off. */
  public synchronized int metricsPort() {
    return metricsEndpoint == null ? -1 : metricsEndpoint.port();
  }

  /** The plain-text health port actually bound, or -1 when --health-listen-addr is off. */
  public synchronized int healthPort() {
    return healthOnly == null ? -1 : healthOnly.port();
  }

  /** The pod index, for diagnostics and tests. */
  public synchronized PodStore pods() {
    return pods;
  }

  /** The namespace permissions, for diagnostics and tests. */
  public synchronized NamespaceStore namespaces() {
    return namespaces;
  }

  /** Which role requests live pods map to (what the credential cache refreshes). */
  public synchronized RoleUsage roleUsage() {
    return usage;
  }

  /** Whether close() has been called: its watches are closed or closing. */
  public boolean isClosing() {
    return closing;
  }

  /** Blocks until close() has finished (main waits here after start). */
  public void awaitClosed() throws InterruptedException {
    closed.await();
  }

  /** NOT_SERVING first, then stops accepting, lets in-flight calls finish, and stops the rest. */
  @Override
  public void close() {
    closing = true;
    synchronized (this) {
      closeStarted();
    }
    closed.countDown();
  }

  private void closeStarted() {
    boolean any = !started.isEmpty();
    while (!started.isEmpty()) {
      AutoCloseable part = started.pop();
      try {
        part.close();
      } catch (Exception e) {
        log.warn("stopping a part of kiam-server failed: {}", e.toString());
      }
    }
    if (ownsClient) {
      client.close();
    }
    try {
      alsoClose.close();
    } catch (Exception e) {
      log.warn("stopping a part of kiam-server failed: {}", e.toString());
    }
    if (any) {
      log.info("kiam-server stopped");
    }
  }

  private void registerGauges() {
    gauge("kiam_server_pods", "Pods in the server's cache (all phases)", pods::size);
    gauge(
        "kiam_server_pod_ips_indexed",
        "IP addresses that map to at least one live pod",
        pods::indexedIps);
    gauge(
        "kiam_server_role_requests_in_use",
        "Distinct (role, session name, external id) requests that live pods map to",
        usage::distinctRequests);
    // kiam's name (docs/METRICS.md): pods dropped from its full prefetch buffer. kiam-java has no
    // such buffer, so it stays 0, and kiam's alerts on it keep a series to evaluate.
    CounterWithCallback dropped =
        CounterWithCallback.builder()
            .name("kiam_k8s_dropped_pods_total")
            .help("kiam's name: pods dropped because of a full buffer; always 0 (no buffer here)")
            .callback(cb -> cb.call(0))
            .register(registry);
    started.push(() -> registry.unregister(dropped));
  }

  private void registerStalenessGauge() {
    GaugeWithCallback gauge =
        GaugeWithCallback.builder()
            .name("kiam_server_watch_staleness_seconds")
            .help(
                "Per informer (pods, namespaces): 0 while its watch is up, else the seconds since it"
                    + " last was (its last event or successful relist)")
            .labelNames("informer")
            .callback(
                cb ->
                    caches
                        .staleness()
                        .forEach((informer, d) -> cb.call(d.toMillis() / 1000.0, informer)))
            .register(registry);
    started.push(() -> registry.unregister(gauge));
  }

  private Counter staleRefusals() {
    Counter counter =
        Counter.builder()
            .name("kiam_server_stale_view_refusals_total")
            .help(
                "Lookups of IPs not answered before, refused as UNAVAILABLE because a watch was"
                    + " down longer than --watch-stale-after")
            .withoutExemplars()
            .register(registry);
    started.push(() -> registry.unregister(counter));
    return counter;
  }

  private void gauge(String name, String help, java.util.function.IntSupplier value) {
    GaugeWithCallback gauge =
        GaugeWithCallback.builder()
            .name(name)
            .help(help)
            .callback(cb -> cb.call(value.getAsInt()))
            .register(registry);
    started.push(() -> registry.unregister(gauge));
  }

  /** kiam's --sync: every period, every running pod's credentials are prefetched again. */
  private AutoCloseable resyncEvery(Duration period, Runnable prefetchAll) {
    ScheduledExecutorService timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "kiam-resync");
              t.setDaemon(true);
              return t;
            });
    long millis = period.toMillis();
    timer.scheduleWithFixedDelay(
        () -> {
          if (!caches.synced()) {
            return;
          }
          try {
            prefetchAll.run();
          } catch (RuntimeException e) {
            log.warn("periodic prefetch failed; will retry at the next --sync period", e);
          }
        },
        millis,
        millis,
        TimeUnit.MILLISECONDS);
    return timer::shutdownNow;
  }

  private static void shutdownExecutor(ExecutorService executor) throws InterruptedException {
    executor.shutdown();
    if (!executor.awaitTermination(2, TimeUnit.SECONDS)) {
      executor.shutdownNow();
    }
  }

  /** Wires a server; everything but the settings has a production default or must be given. */
  public static final class Builder {
    private final ServerConfig config;
    private KubernetesClient client;
    private boolean ownsClient;
    private ArnResolver resolver;
    private SessionNamer sessionNamer;
    private Function<RoleUsage, CredentialsSource> credentialsFactory;
    private Clock clock = Clock.systemUTC();
    private PrometheusRegistry registry = PrometheusRegistry.defaultRegistry;
    private boolean recordEvents = true;
    private String instance = "kiam-server";
    private AutoCloseable alsoClose = () -> {};
    private ServerTuning tuning = ServerTuning.defaults();
    private TokenReviewer nodeIdentity;

    private Builder(ServerConfig config) {
      this.config = Objects.requireNonNull(config, "config");
    }

    /** The API server to watch; a client given here is not closed by the server. */
    public Builder kubernetesClient(KubernetesClient client) {
      this.client = client;
      this.ownsClient = false;
      return this;
    }

    /** A client the server closes when it stops (what main builds from --kubeconfig). */
    public Builder ownedKubernetesClient(KubernetesClient client) {
      this.client = client;
      this.ownsClient = true;
      return this;
    }

    public Builder arnResolver(ArnResolver resolver) {
      this.resolver = resolver;
      return this;
    }

    public Builder sessionNamer(SessionNamer sessionNamer) {
      this.sessionNamer = sessionNamer;
      return this;
    }

    /** Builds the credentials source given what tells it which roles live pods still use. */
    public Builder credentials(Function<RoleUsage, CredentialsSource> factory) {
      this.credentialsFactory = factory;
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    /** Where metrics go (tests use their own registry, so servers in one JVM do not collide). */
    public Builder registry(PrometheusRegistry registry) {
      this.registry = registry;
      return this;
    }

    /** Whether refusals and STS failures become Kubernetes Events on the pods (default yes). */
    public Builder recordEvents(boolean recordEvents) {
      this.recordEvents = recordEvents;
      return this;
    }

    /** The name this server reports Events under (its host name in production). */
    public Builder instance(String instance) {
      this.instance = instance;
      return this;
    }

    /** Something the server closes last, after the credentials source (main's STS gateway). */
    public Builder closeLast(AutoCloseable resource) {
      this.alsoClose = Objects.requireNonNull(resource, "resource");
      return this;
    }

    /** kiam's connection, resync and namespace-matching settings (default: ours). */
    public Builder tuning(ServerTuning tuning) {
      this.tuning = Objects.requireNonNull(tuning, "tuning");
      return this;
    }

    /**
     * Serves each agent only its own node's pods, the node its token's review names ({@code
     * --require-node-identity}; default: any agent with a certificate is served every pod).
     */
    public Builder nodeIdentity(TokenReviewer reviewer) {
      this.nodeIdentity = reviewer;
      return this;
    }

    public KiamServer build() {
      Objects.requireNonNull(client, "kubernetesClient");
      Objects.requireNonNull(resolver, "arnResolver");
      Objects.requireNonNull(sessionNamer, "sessionNamer");
      Objects.requireNonNull(credentialsFactory, "credentials");
      return new KiamServer(this);
    }
  }
}
