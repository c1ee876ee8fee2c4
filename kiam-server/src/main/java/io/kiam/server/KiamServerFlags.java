package io.kiam.server;

import io.kiam.common.compat.KiamFlag;
import io.kiam.common.compat.KiamFlags;
import io.kiam.server.grpc.GrpcServerSettings;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * uswitch/kiam v4's server flags that kiam-java's own flags do not already cover, so kiam's
 * manifests start unchanged: each maps to a setting of ours or is ignored with one warning.
 */
public final class KiamServerFlags {
  private static final Logger log = LoggerFactory.getLogger(KiamServerFlags.class);

  /** What each kiam v4 server flag does here (docs/migrating.md's table is generated from it). */
  public static final List<KiamFlag> TABLE =
      List.of(
          KiamFlag.mapped("--json-log", "`--log-format json`"),
          KiamFlag.mapped(
              "--fetchers", "the most STS calls in flight at once (default 8, as kiam's)"),
          KiamFlag.ignored(
              "--prefetch-buffer-size",
              "kiam-java keeps no buffer between the pod watch and prefetch; each pod event"
                  + " prefetches at once"),
          KiamFlag.mapped(
              "--sync",
              "how often every running pod's credentials are prefetched again (default off: the"
                  + " watch drives prefetch)"),
          KiamFlag.mapped(
              "--disable-strict-namespace-regexp",
              "match `iam.amazonaws.com/permitted` anywhere in the role instead of the whole"
                  + " role; logs a warning at start"),
          KiamFlag.mapped("--grpc-keepalive-time-duration", "the gRPC server's keepalive time"),
          KiamFlag.mapped(
              "--grpc-keepalive-timeout-duration", "the gRPC server's keepalive ping timeout"),
          KiamFlag.mapped(
              "--grpc-max-connection-idle-duration", "the gRPC server's max connection idle"),
          KiamFlag.mapped(
              "--grpc-max-connection-age-duration",
              "the gRPC server's max connection age (`0s`: our 5 min default, which makes"
                  + " agents re-resolve the servers)"),
          KiamFlag.mapped(
              "--grpc-max-connection-age-grace-duration",
              "the gRPC server's max connection age grace"),
          KiamFlag.ignored(
              "--prometheus-sync-interval",
              "metrics are computed when scraped, so there is nothing to sync"),
          KiamFlag.ignored(
              "--pprof-listen-addr",
              "kiam-java has no pprof; use the JVM's tools (jcmd, JFR) instead"));

  @Spec(Spec.Target.MIXEE)
  CommandSpec mixee;

  @Option(names = "--json-log", hidden = true, description = "kiam's flag for --log-format json.")
  boolean jsonLog;

  @Option(
      names = "--fetchers",
      paramLabel = "N",
      description = "kiam's flag: the most STS calls in flight at once (default: 8).")
  Integer fetchers;

  @Option(
      names = "--prefetch-buffer-size",
      hidden = true,
      paramLabel = "N",
      description = "kiam's flag, accepted and ignored (no buffer here).")
  Integer prefetchBufferSize;

  @Option(
      names = "--sync",
      paramLabel = "DURATION",
      description =
          "kiam's flag: how often every running pod's credentials are prefetched again"
              + " (default: off, the pod watch drives prefetch).")
  Duration sync;

  @Option(
      names = "--disable-strict-namespace-regexp",
      description =
          "kiam's flag: match the namespace expression anywhere in the role, not the whole"
              + " role. Loosens every namespace's permission; logs a warning.")
  boolean disableStrictNamespaceRegexp;

  @Option(
      names = "--grpc-keepalive-time-duration",
      paramLabel = "DURATION",
      description = "How often the gRPC server pings idle agents (default: 30s).")
  Duration keepAliveTime;

  @Option(
      names = "--grpc-keepalive-timeout-duration",
      paramLabel = "DURATION",
      description = "How long a ping may go unanswered (default: 10s).")
  Duration keepAliveTimeout;

  @Option(
      names = "--grpc-max-connection-idle-duration",
      paramLabel = "DURATION",
      description = "Close agent connections idle this long; 0s: never (default: never).")
  Duration maxConnectionIdle;

  @Option(
      names = "--grpc-max-connection-age-duration",
      paramLabel = "DURATION",
      description =
          "Close agent connections this old, so agents re-resolve the servers; 0s keeps the"
              + " default (default: 5m).")
  Duration maxConnectionAge;

  @Option(
      names = "--grpc-max-connection-age-grace-duration",
      paramLabel = "DURATION",
      description = "How long calls on an aged connection get to finish (default: 30s).")
  Duration maxConnectionAgeGrace;

  @Option(
      names = "--prometheus-sync-interval",
      hidden = true,
      paramLabel = "DURATION",
      description = "kiam's flag, accepted and ignored (metrics are live).")
  Duration prometheusSyncInterval;

  @Option(
      names = "--pprof-listen-addr",
      hidden = true,
      paramLabel = "HOST:PORT",
      description = "kiam's flag, accepted and ignored (no pprof in a JVM).")
  String pprofListenAddr;

  /** Whether --json-log was given. */
  boolean jsonLog() {
    return jsonLog;
  }

  /** --fetchers, when given; at least 1. */
  Optional<Integer> fetchers() {
    if (fetchers != null && fetchers < 1) {
      throw new IllegalArgumentException("--fetchers: must be at least 1, was " + fetchers);
    }
    return Optional.ofNullable(fetchers);
  }

  /** The gRPC, resync and matching settings these flags describe. */
  ServerTuning tuning() {
    GrpcServerSettings defaults = GrpcServerSettings.defaults();
    GrpcServerSettings grpc =
        new GrpcServerSettings(
            positiveOr("--grpc-keepalive-time-duration", keepAliveTime, defaults.keepAliveTime()),
            positiveOr(
                "--grpc-keepalive-timeout-duration", keepAliveTimeout, defaults.keepAliveTimeout()),
            maxConnectionIdle == null || maxConnectionIdle.isZero()
                ? defaults.maxConnectionIdle()
                : Optional.of(positive("--grpc-max-connection-idle-duration", maxConnectionIdle)),
            maxConnectionAge == null || maxConnectionAge.isZero()
                ? defaults.maxConnectionAge()
                : Optional.of(positive("--grpc-max-connection-age-duration", maxConnectionAge)),
            maxConnectionAgeGrace == null
                ? defaults.maxConnectionAgeGrace()
                : positiveOrZero(
                    "--grpc-max-connection-age-grace-duration", maxConnectionAgeGrace));
    Duration resync = sync == null ? Duration.ZERO : sync;
    if (resync.isNegative()) {
      throw new IllegalArgumentException("--sync: must not be negative");
    }
    return new ServerTuning(grpc, resync, !disableStrictNamespaceRegexp);
  }

  /**
   * Logs what an operator must know about the kiam flags given: one warning per ignored flag, and a
   * loud one when namespace expressions are unanchored. Call after logging is configured.
   */
  void warn() {
    KiamFlags.warnIgnored(TABLE, mixee);
    if (disableStrictNamespaceRegexp) {
      log.atWarn()
          .addKeyValue("flag", "--disable-strict-namespace-regexp")
          .log(
              "--disable-strict-namespace-regexp: namespace iam.amazonaws.com/permitted"
                  + " expressions now match ANYWHERE in the role: 'shop' permits 'shop-admin' and"
                  + " 'workshop-admin'. Anchor your expressions and drop this flag.");
    }
  }

  private static Duration positiveOr(String flag, Duration value, Duration otherwise) {
    return value == null ? otherwise : positive(flag, value);
  }

  private static Duration positive(String flag, Duration value) {
    if (value.isZero() || value.isNegative()) {
      throw new IllegalArgumentException(flag + ": must be positive");
    }
    return value;
  }

  private static Duration positiveOrZero(String flag, Duration value) {
    if (value.isNegative()) {
      throw new IllegalArgumentException(flag + ": must not be negative");
    }
    return value;
  }
}
