package io.kiam.server;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.kiam.common.logging.LogFormat;
import io.kiam.common.logging.Logging;
import io.kiam.common.tls.TlsFiles;
import io.kiam.server.explain.ExplainCommand;
import io.kiam.server.identity.KubernetesTokenReviewer;
import io.kiam.server.identity.ReviewCache;
import io.kiam.server.policy.ArnResolver;
import io.kiam.server.sts.CredentialCache;
import io.kiam.server.sts.CredentialCacheConfig;
import io.kiam.server.sts.DefaultArnResolver;
import io.kiam.server.sts.InstanceProfileBaseArn;
import io.kiam.server.sts.SdkStsGateway;
import io.kiam.server.sts.SessionNames;
import io.kiam.server.sts.StsGateways;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code kiam-server}: the flags (kiam's names where kiam had one), turned into a {@link
 * ServerConfig}, then the server runs until SIGTERM.
 */
@Command(
    name = "kiam-server",
    mixinStandardHelpOptions = true,
    version = "kiam-server 0.1.0",
    subcommands = {HealthCommand.class, ExplainCommand.class},
    description =
        "Watches pods and namespaces, applies the iam.amazonaws.com role policy, keeps STS"
            + " credentials cached ahead of need, and answers kiam-agents over gRPC with mutual"
            + " TLS.")
public final class ServerCommand implements Callable<Integer> {
  @Option(
      names = "--bind",
      paramLabel = "HOST:PORT",
      defaultValue = ServerConfig.DEFAULT_BIND,
      description = "gRPC listen address (default: ${DEFAULT-VALUE}).")
  InetSocketAddress bind;

  @Option(
      names = "--kubeconfig",
      paramLabel = "FILE",
      description = "kubeconfig file (default: in-cluster, else the usual kubeconfig).")
  Path kubeconfig;

  @Option(
      names = "--cert",
      paramLabel = "FILE",
      description = "Server certificate (PEM). Required.")
  Path cert;

  @Option(names = "--key", paramLabel = "FILE", description = "Server private key (PEM). Required.")
  Path key;

  @Option(
      names = "--ca",
      paramLabel = "FILE",
      description = "CA that signs agents' client certificates (PEM). Required.")
  Path ca;

  @Option(
      names = "--role-base-arn",
      paramLabel = "ARN",
      description = "Base ARN for role names, e.g. arn:aws:iam::123456789012:role/.")
  String roleBaseArn;

  @Option(
      names = "--role-base-arn-autodetect",
      description = "Detect the base ARN from the node's instance profile (IMDSv2).")
  boolean roleBaseArnAutodetect;

  @Option(
      names = "--assume-role-arn",
      paramLabel = "ARN",
      defaultValue = "",
      description = "Role kiam-server assumes before assuming pods' roles (empty: none).")
  String assumeRoleArn;

  @Option(
      names = "--region",
      paramLabel = "REGION",
      defaultValue = "${env:AWS_REGION:-us-east-1}",
      description = "AWS region of the STS endpoint (default: $AWS_REGION, else us-east-1).")
  String region;

  @Option(
      names = "--sts-endpoint",
      paramLabel = "URL",
      description = "STS endpoint URL (regional or VPC endpoint; default: the region's).")
  URI stsEndpoint;

  @Option(
      names = "--sts-rate",
      paramLabel = "N",
      defaultValue = "50",
      description =
          "AssumeRole calls a second this server may make, across all roles; a pod's own request"
              + " goes before prefetches and refreshes when calls must wait (default:"
              + " ${DEFAULT-VALUE}).")
  double stsRate;

  @Option(
      names = "--sts-burst",
      paramLabel = "N",
      defaultValue = "100",
      description =
          "AssumeRole calls allowed at once after a quiet spell: the size of the --sts-rate bucket (default:"
              + " ${DEFAULT-VALUE}).")
  int stsBurst;

  @Option(
      names = "--session",
      paramLabel = "SUFFIX",
      defaultValue = ServerConfig.DEFAULT_SESSION,
      description =
          "Default session-name suffix: sessions are kiam-SUFFIX (default: ${DEFAULT-VALUE}).")
  String session;

  @Option(
      names = "--session-duration",
      paramLabel = "DURATION",
      defaultValue = "60m",
      description =
          "Lifetime of the credentials asked of STS, 15m..12h (default: ${DEFAULT-VALUE}).")
  Duration sessionDuration;

  @Option(
      names = "--session-refresh",
      paramLabel = "DURATION",
      description =
          "Lifetime served credentials keep at least; refreshed before they fall below it."
              + " Must be less than --session-duration (default: 30m, or half a shorter"
              + " session).")
  Duration sessionRefresh;

  @Option(
      names = "--pod-wait",
      paramLabel = "DURATION",
      defaultValue = "300ms",
      description =
          "How long a request for an IP not yet in the cache waits for the pod watch (a pod"
              + " that just started), 0..900ms (default: ${DEFAULT-VALUE}).")
  Duration podWait;

  @Option(
      names = "--watch-stale-after",
      paramLabel = "DURATION",
      defaultValue = "1m",
      description =
          "How long the pod or namespace watch may be down before the server refuses IPs it has"
              + " not answered before with UNAVAILABLE instead of guessing; pods it answered keep"
              + " their answers. 0 or at least 10s; 0: never (default: ${DEFAULT-VALUE}).")
  Duration watchStaleAfter;

  @Option(
      names = "--prometheus-listen-addr",
      paramLabel = "HOST:PORT",
      description = "Serve Prometheus metrics on HOST:PORT/metrics (default: off).")
  InetSocketAddress prometheusListen;

  @Option(
      names = "--log-format",
      paramLabel = "text|json",
      defaultValue = "text",
      description = "Log format: text or json (default: ${DEFAULT-VALUE}).")
  LogFormat logFormat;

  @Option(
      names = "--level",
      paramLabel = "LEVEL",
      defaultValue = "info",
      description = "Log level: trace, debug, info, warn, error (default: ${DEFAULT-VALUE}).")
  String level;

  @Option(
      names = "--shutdown-grace",
      paramLabel = "DURATION",
      defaultValue = "5s",
      description =
          "On SIGTERM, how long in-flight calls get to finish (default: ${DEFAULT-VALUE}).")
  Duration shutdownGrace;

  @Option(
      names = "--health-listen-addr",
      paramLabel = "HOST:PORT",
      description =
          "Also serve grpc.health.v1, and nothing else, in plain text on HOST:PORT, for the"
              + " kubelet's native gRPC probe (default: off).")
  InetSocketAddress healthListen;

  @Option(
      names = "--session-tags",
      description =
          "Tag each AssumeRole with the pod (kubernetes-namespace, kubernetes-pod-name,"
              + " kubernetes-pod-uid, kubernetes-service-account, kubernetes-node-name) and set"
              + " SourceIdentity"
              + " NAMESPACE.POD, so CloudTrail tells pods apart. Roles' trust must allow"
              + " sts:TagSession and sts:SetSourceIdentity. One STS session per pod instead of"
              + " per role (default: off).")
  boolean sessionTags;

  /** uswitch/kiam v4's flags, so kiam's manifests start unchanged. */
  @Mixin KiamServerFlags kiam = new KiamServerFlags();

  /** What pods and agents may reach: other accounts, node identity. */
  @Mixin ServerSecurityFlags security = new ServerSecurityFlags();

  /** The settings the flags describe; IllegalArgumentException (exit 2) when they are bad. */
  ServerConfig config() {
    if (cert == null || key == null || ca == null) {
      throw new IllegalArgumentException("--cert, --key and --ca are required");
    }
    return new ServerConfig(
        bind,
        Optional.ofNullable(kubeconfig),
        new TlsFiles(cert, key, ca),
        Optional.ofNullable(roleBaseArn).filter(s -> !s.isBlank()),
        roleBaseArnAutodetect,
        Optional.ofNullable(assumeRoleArn).filter(s -> !s.isBlank()),
        Optional.ofNullable(region).filter(s -> !s.isBlank()),
        Optional.ofNullable(stsEndpoint),
        session,
        sessionDuration,
        sessionRefresh != null ? sessionRefresh : ServerConfig.defaultRefresh(sessionDuration),
        podWait,
        Optional.ofNullable(prometheusListen),
        kiam.jsonLog() ? LogFormat.JSON : logFormat,
        level,
        shutdownGrace,
        new CredentialCacheConfig.Pacing(stsRate, stsBurst),
        watchStaleAfter,
        Optional.ofNullable(healthListen),
        sessionTags);
  }

  /** kiam's gRPC, resync and namespace-matching settings; IllegalArgumentException when bad. */
  ServerTuning tuning() {
    return kiam.tuning();
  }

  @Override
  public Integer call() throws Exception {
    ServerConfig config = config();
    ServerTuning tuning = tuning();
    Optional<Integer> fetchers = kiam.fetchers();
    Logging.configure(config.logFormat(), config.level());
    kiam.warn();
    security.validate();
    KiamServer server = production(config, tuning, fetchers, security);
    Thread hook = new Thread(server::close, "kiam-server-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      server.start();
    } catch (RuntimeException e) {
      Runtime.getRuntime().removeShutdownHook(hook);
      server.close();
      throw e;
    }
    server.awaitClosed();
    return 0;
  }

  /**
   * The server as main runs it: the API server from --kubeconfig, STS through the SDK and the
   * credential cache, roles resolved against the base ARN.
   */
  static KiamServer production(ServerConfig config) {
    return production(config, ServerTuning.defaults(), Optional.empty());
  }

  /** {@link #production(ServerConfig)} with kiam's tuning flags and --fetchers applied. */
  static KiamServer production(
      ServerConfig config, ServerTuning tuning, Optional<Integer> fetchers) {
    return production(config, tuning, fetchers, new ServerSecurityFlags());
  }

  /** {@link #production(ServerConfig, ServerTuning, Optional)} with the security flags applied. */
  static KiamServer production(
      ServerConfig config,
      ServerTuning tuning,
      Optional<Integer> fetchers,
      ServerSecurityFlags security) {
    CredentialCacheConfig sessions =
        CredentialCacheConfig.defaults()
            .withSession(config.sessionDuration(), config.sessionRefresh())
            .withPacing(config.stsPacing());
    CredentialCacheConfig cacheConfig =
        fetchers.map(sessions::withMaxConcurrentCalls).orElse(sessions);
    ArnResolver resolver = new DefaultArnResolver(baseArn(config), security.allowedRoleAccounts());
    SdkStsGateway gateway =
        StsGateways.create(
            config.region().orElse("us-east-1"),
            config.stsEndpoint(),
            config.assumeRoleArn(),
            StsGateways.DEFAULT_CALL_TIMEOUT);
    try {
      KubernetesClient client = kubernetesClient(config);
      return KiamServer.builder(config)
          .ownedKubernetesClient(client)
          .nodeIdentity(
              security.requireNodeIdentity()
                  ? new ReviewCache(
                      new KubernetesTokenReviewer(client, security.nodeIdentityAudience()),
                      ReviewCache.DEFAULT_TTL,
                      Clock.systemUTC())
                  : null)
          .arnResolver(resolver)
          .sessionNamer(SessionNames::sessionName)
          .credentials(usage -> new CredentialCache(gateway, usage, cacheConfig))
          .instance(hostName())
          .tuning(tuning)
          .closeLast(gateway)
          .build();
    } catch (RuntimeException e) {
      gateway.close();
      throw e;
    }
  }

  private static String baseArn(ServerConfig config) {
    if (config.roleBaseArn().isPresent()) {
      return config.roleBaseArn().get();
    }
    return new InstanceProfileBaseArn(InstanceProfileBaseArn.EC2_METADATA, Duration.ofSeconds(2))
        .detect();
  }

  private static KubernetesClient kubernetesClient(ServerConfig config) {
    if (config.kubeconfig().isEmpty()) {
      return new KubernetesClientBuilder().build();
    }
    try {
      String text = Files.readString(config.kubeconfig().get());
      return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(text)).build();
    } catch (IOException e) {
      throw new UncheckedIOException("--kubeconfig: cannot read " + config.kubeconfig().get(), e);
    }
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "kiam-server";
    }
  }
}
