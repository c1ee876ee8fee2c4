package io.kiam.agent;

import io.kiam.agent.client.ClientSettings;
import io.kiam.common.compat.KiamFlag;
import io.kiam.common.compat.KiamFlags;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * uswitch/kiam v4's agent flags that kiam-java's own flags do not already cover, so kiam's
 * DaemonSet starts unchanged: each maps to a setting of ours, is ignored with one warning, or (for
 * {@code --allow-ip-query}) is refused.
 */
public final class KiamAgentFlags {
  /** What each kiam v4 agent flag does here (docs/migrating.md's table is generated from it). */
  public static final List<KiamFlag> TABLE =
      List.of(
          KiamFlag.mapped("--json-log", "`--log-format json`"),
          KiamFlag.mapped(
              "--no-iptables-remove",
              "keep the DNAT rule on shutdown, which is already the default here"),
          KiamFlag.mapped(
              "--whitelist-route-regexp",
              "`--allow-route-regexp` (matched against the whole normalised path)"),
          KiamFlag.mapped(
              "--grpc-keepalive-time-duration",
              "how often idle connections to the servers are pinged"),
          KiamFlag.mapped("--grpc-keepalive-timeout-duration", "how long a ping may go unanswered"),
          KiamFlag.mapped(
              "--gateway-timeout-creation",
              "how long the agent waits at start for a server to answer before it listens"
                  + " anyway (default 5s)"),
          KiamFlag.ignored(
              "--grpc-keepalive-permit-without-stream",
              "kiam-java's agent always pings idle connections, and the servers permit it"),
          KiamFlag.ignored(
              "--server-address-refresh",
              "the gRPC client re-resolves the servers' name every 30s and on connection failures"
                  + " (kiam v4 ignored this flag too)"),
          KiamFlag.ignored(
              "--prometheus-sync-interval",
              "metrics are computed when scraped, so there is nothing to sync"),
          KiamFlag.ignored(
              "--pprof-listen-addr",
              "kiam-java has no pprof; use the JVM's tools (jcmd, JFR) instead"),
          KiamFlag.refused(
              "--allow-ip-query",
              "it lets any pod name another pod's IP in ?ip= and receive that pod's"
                  + " credentials; kiam-java identifies pods by their source address only"));

  @Spec(Spec.Target.MIXEE)
  CommandSpec mixee;

  @Option(
      names = "--allow-ip-query",
      negatable = true,
      hidden = true,
      description = "kiam's development flag: refused (a pod could claim another's IP).")
  boolean allowIpQuery;

  @Option(
      names = "--no-iptables-remove",
      hidden = true,
      description = "kiam's negated flag: keep the rule on shutdown (the default here).")
  boolean noIptablesRemove;

  @Option(
      names = "--grpc-keepalive-time-duration",
      paramLabel = "DURATION",
      description = "How often idle connections to the servers are pinged (default: 30s).")
  Duration keepAliveTime;

  @Option(
      names = "--grpc-keepalive-timeout-duration",
      paramLabel = "DURATION",
      description = "How long a ping may go unanswered before reconnecting (default: 10s).")
  Duration keepAliveTimeout;

  @Option(
      names = "--grpc-keepalive-permit-without-stream",
      negatable = true,
      hidden = true,
      description = "kiam's flag, accepted and ignored (idle connections are always pinged).")
  boolean keepAlivePermitWithoutStream;

  @Option(
      names = "--server-address-refresh",
      paramLabel = "DURATION",
      hidden = true,
      description = "kiam's flag, accepted and ignored (the client re-resolves by itself).")
  Duration serverAddressRefresh;

  @Option(
      names = "--gateway-timeout-creation",
      paramLabel = "DURATION",
      description =
          "How long the agent waits at start for a kiam-server to answer before it listens"
              + " anyway; 0s: not at all (default: 5s).")
  Duration gatewayTimeoutCreation;

  @Option(
      names = "--prometheus-sync-interval",
      paramLabel = "DURATION",
      hidden = true,
      description = "kiam's flag, accepted and ignored (metrics are live).")
  Duration prometheusSyncInterval;

  @Option(
      names = "--pprof-listen-addr",
      paramLabel = "HOST:PORT",
      hidden = true,
      description = "kiam's flag, accepted and ignored (no pprof in a JVM).")
  String pprofListenAddr;

  /** Fails (exit 2) on the flags kiam-java refuses. */
  void refuseUnsafe() {
    if (allowIpQuery) {
      throw new IllegalArgumentException(
          "--allow-ip-query is refused: "
              + KiamFlags.find(TABLE, "--allow-ip-query").meaning()
              + "; remove the flag");
    }
  }

  /** --gateway-timeout-creation, when given. */
  Optional<Duration> startupWait() {
    if (gatewayTimeoutCreation != null && gatewayTimeoutCreation.isNegative()) {
      throw new IllegalArgumentException("--gateway-timeout-creation: must not be negative");
    }
    return Optional.ofNullable(gatewayTimeoutCreation);
  }

  /** The keepalive flags applied to the client's settings. */
  UnaryOperator<ClientSettings> clientSettings() {
    Duration time = positive("--grpc-keepalive-time-duration", keepAliveTime);
    Duration timeout = positive("--grpc-keepalive-timeout-duration", keepAliveTimeout);
    if (time == null && timeout == null) {
      return UnaryOperator.identity();
    }
    return s ->
        s.withKeepAlive(
            time != null ? time : s.keepAliveTime(),
            timeout != null ? timeout : s.keepAliveTimeout());
  }

  /** One warning per ignored kiam flag given; call after logging is configured. */
  void warn() {
    KiamFlags.warnIgnored(TABLE, mixee);
  }

  private static Duration positive(String flag, Duration value) {
    if (value != null && (value.isZero() || value.isNegative())) {
      throw new IllegalArgumentException(flag + ": must be positive");
    }
    return value;
  }
}
