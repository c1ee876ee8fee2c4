package io.kiam.server;

import io.kiam.common.cli.DurationConverter;
import io.kiam.common.logging.LogFormat;
import io.kiam.common.logging.Logging;
import io.kiam.common.tls.TlsFiles;
import io.kiam.server.sts.CredentialCacheConfig;
import io.kiam.server.sts.SessionNames;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * kiam-server's settings, read from the flags in main and checked here once: a bad value fails with
 * one IllegalArgumentException naming the flag, before anything starts.
 *
 * @param sessionRefresh the lifetime served credentials keep at least; a refresh starts before
 *     credentials fall below it
 * @param podWait how long a request for an IP the cache does not know yet waits for the watch
 * @param shutdownGrace how long in-flight calls get to finish on SIGTERM
 * @param stsPacing the rate limit across all of the server's AssumeRole calls
 * @param watchStaleAfter how long a pod or namespace watch may be down before IPs the server has
 *     not answered before are refused as UNAVAILABLE; zero: never
 * @param healthListen where to serve grpc.health.v1 in plain text for the kubelet's gRPC probe
 * @param sessionTags whether AssumeRole carries the pod's session tags and SourceIdentity (one
 *     session per pod then)
 */
public record ServerConfig(
    InetSocketAddress bind,
    Optional<Path> kubeconfig,
    TlsFiles tls,
    Optional<String> roleBaseArn,
    boolean roleBaseArnAutodetect,
    Optional<String> assumeRoleArn,
    Optional<String> region,
    Optional<URI> stsEndpoint,
    String session,
    Duration sessionDuration,
    Duration sessionRefresh,
    Duration podWait,
    Optional<InetSocketAddress> prometheusListen,
    LogFormat logFormat,
    String level,
    Duration shutdownGrace,
    CredentialCacheConfig.Pacing stsPacing,
    Duration watchStaleAfter,
    Optional<InetSocketAddress> healthListen,
    boolean sessionTags) {

  public static final String DEFAULT_BIND = "0.0.0.0:9610";
  public static final String DEFAULT_SESSION = SessionNames.DEFAULT_SUFFIX;
  public static final Duration DEFAULT_SESSION_DURATION =
      CredentialCacheConfig.DEFAULT_SESSION_DURATION;

  /** Served credentials keep at least this much life (SDKs refresh at 15 min left). */
  public static final Duration DEFAULT_SESSION_REFRESH = Duration.ofMinutes(30);

  public static final Duration MIN_SESSION_DURATION = Duration.ofMinutes(15);
  public static final Duration MAX_SESSION_DURATION = Duration.ofHours(12);

  /**
   * 300 ms: covers the usual watch lag of a starting pod while leaving most of the tightest SDK
   * budget (the Go SDK's 500 ms for response headers) for the answer itself.
   */
  public static final Duration DEFAULT_POD_WAIT = Duration.ofMillis(300);

  public static final Duration MAX_POD_WAIT = Duration.ofMillis(900);
  public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(5);

  /**
   * 1m: longer than a watch's reconnect backoff and a relist of a large cluster, shorter than the
   * time in which a deleted pod's IP is commonly handed to a new pod.
   */
  public static final Duration DEFAULT_WATCH_STALE_AFTER = Duration.ofMinutes(1);

  public static final Duration MIN_WATCH_STALE_AFTER = Duration.ofSeconds(10);

  private static final Pattern BASE_ARN =
      Pattern.compile(
          "arn:aws(-cn|-us-gov|-iso|-iso-b|-iso-e|-iso-f|-eusc)?:iam::\\d{12}:role/?([\\x21-\\x7E]*/)?");
  private static final Pattern ROLE_ARN =
      Pattern.compile(
          "arn:aws(-cn|-us-gov|-iso|-iso-b|-iso-e|-iso-f|-eusc)?:iam::\\d{12}:role/[\\x21-\\x7E]{1,512}");
  private static final Pattern REGION = Pattern.compile("[a-z]{2}(-[a-z]+)+-\\d{1,2}");
  private static final Pattern SESSION = Pattern.compile("[\\w+=,.@-]{1,59}");

  public ServerConfig {
    Objects.requireNonNull(bind, "bind");
    Objects.requireNonNull(kubeconfig, "kubeconfig");
    Objects.requireNonNull(tls, "tls");
    Objects.requireNonNull(roleBaseArn, "roleBaseArn");
    Objects.requireNonNull(assumeRoleArn, "assumeRoleArn");
    Objects.requireNonNull(region, "region");
    Objects.requireNonNull(stsEndpoint, "stsEndpoint");
    Objects.requireNonNull(session, "session");
    Objects.requireNonNull(sessionDuration, "sessionDuration");
    Objects.requireNonNull(sessionRefresh, "sessionRefresh");
    Objects.requireNonNull(podWait, "podWait");
    Objects.requireNonNull(prometheusListen, "prometheusListen");
    Objects.requireNonNull(logFormat, "logFormat");
    Objects.requireNonNull(level, "level");
    Objects.requireNonNull(shutdownGrace, "shutdownGrace");
    Objects.requireNonNull(stsPacing, "stsPacing");
    Objects.requireNonNull(watchStaleAfter, "watchStaleAfter");
    if (watchStaleAfter.isNegative()
        || (!watchStaleAfter.isZero() && watchStaleAfter.compareTo(MIN_WATCH_STALE_AFTER) < 0)) {
      throw new IllegalArgumentException(
          "--watch-stale-after: "
              + human(watchStaleAfter)
              + " must be 0 (never) or at least 10s (a watch reconnects in seconds)");
    }
    Objects.requireNonNull(healthListen, "healthListen");

    tls.requireReadable();
    kubeconfig.ifPresent(
        path -> {
          if (!Files.isReadable(path)) {
            throw new IllegalArgumentException("--kubeconfig: cannot read " + path);
          }
        });
    if (roleBaseArn.isPresent() == roleBaseArnAutodetect) {
      throw new IllegalArgumentException(
          "give exactly one of --role-base-arn (e.g. arn:aws:iam::123456789012:role/) and"
              + " --role-base-arn-autodetect");
    }
    roleBaseArn.ifPresent(
        arn -> {
          if (!BASE_ARN.matcher(arn).matches()) {
            throw new IllegalArgumentException(
                "--role-base-arn: '"
                    + arn
                    + "' is not a role base ARN; expected arn:PARTITION:iam::ACCOUNT:role/");
          }
        });
    assumeRoleArn.ifPresent(
        arn -> {
          if (!ROLE_ARN.matcher(arn).matches()) {
            throw new IllegalArgumentException(
                "--assume-role-arn: '"
                    + arn
                    + "' is not a role ARN; expected arn:PARTITION:iam::ACCOUNT:role/NAME");
          }
        });
    region.ifPresent(
        r -> {
          if (!REGION.matcher(r).matches()) {
            throw new IllegalArgumentException(
                "--region: '" + r + "' is not an AWS region (for example eu-west-1)");
          }
        });
    stsEndpoint.ifPresent(ServerConfig::checkEndpoint);
    if (!SESSION.matcher(session).matches()) {
      throw new IllegalArgumentException(
          "--session: '"
              + session
              + "' must be 1..59 of letters, digits and _+=,.@- (STS session names, after 'kiam-')");
    }
    if (sessionDuration.compareTo(MIN_SESSION_DURATION) < 0
        || sessionDuration.compareTo(MAX_SESSION_DURATION) > 0) {
      throw new IllegalArgumentException(
          "--session-duration: " + human(sessionDuration) + " is outside STS's 15m..12h");
    }
    if (sessionRefresh.isZero()
        || sessionRefresh.isNegative()
        || sessionRefresh.compareTo(sessionDuration) >= 0) {
      throw new IllegalArgumentException(
          "--session-refresh: "
              + human(sessionRefresh)
              + " must be positive and less than --session-duration ("
              + human(sessionDuration)
              + ")");
    }
    if (podWait.isNegative() || podWait.compareTo(MAX_POD_WAIT) > 0) {
      throw new IllegalArgumentException(
          "--pod-wait: "
              + human(podWait)
              + " must be 0..900ms (SDKs give the metadata service 1 s)");
    }
    if (shutdownGrace.isNegative() || shutdownGrace.compareTo(Duration.ofMinutes(5)) > 0) {
      throw new IllegalArgumentException(
          "--shutdown-grace: " + human(shutdownGrace) + " must be 0..5m");
    }
    Logging.parseLevel(level);
  }

  /** The settings without session tags. */
  public ServerConfig(
      InetSocketAddress bind,
      Optional<Path> kubeconfig,
      TlsFiles tls,
      Optional<String> roleBaseArn,
      boolean roleBaseArnAutodetect,
      Optional<String> assumeRoleArn,
      Optional<String> region,
      Optional<URI> stsEndpoint,
      String session,
      Duration sessionDuration,
      Duration sessionRefresh,
      Duration podWait,
      Optional<InetSocketAddress> prometheusListen,
      LogFormat logFormat,
      String level,
      Duration shutdownGrace,
      CredentialCacheConfig.Pacing stsPacing,
      Duration watchStaleAfter,
      Optional<InetSocketAddress> healthListen) {
    this(
        bind,
        kubeconfig,
        tls,
        roleBaseArn,
        roleBaseArnAutodetect,
        assumeRoleArn,
        region,
        stsEndpoint,
        session,
        sessionDuration,
        sessionRefresh,
        podWait,
        prometheusListen,
        logFormat,
        level,
        shutdownGrace,
        stsPacing,
        watchStaleAfter,
        healthListen,
        false);
  }

  /** This config with session tags on or off. */
  public ServerConfig withSessionTags(boolean on) {
    return new ServerConfig(
        bind,
        kubeconfig,
        tls,
        roleBaseArn,
        roleBaseArnAutodetect,
        assumeRoleArn,
        region,
        stsEndpoint,
        session,
        sessionDuration,
        sessionRefresh,
        podWait,
        prometheusListen,
        logFormat,
        level,
        shutdownGrace,
        stsPacing,
        watchStaleAfter,
        healthListen,
        on);
  }

  /**
   * The settings with the default STS rate limit and staleness bound, without the plain-text health
   * port (tests and embedding).
   */
  public ServerConfig(
      InetSocketAddress bind,
      Optional<Path> kubeconfig,
      TlsFiles tls,
      Optional<String> roleBaseArn,
      boolean roleBaseArnAutodetect,
      Optional<String> assumeRoleArn,
      Optional<String> region,
      Optional<URI> stsEndpoint,
      String session,
      Duration sessionDuration,
      Duration sessionRefresh,
      Duration podWait,
      Optional<InetSocketAddress> prometheusListen,
      LogFormat logFormat,
      String level,
      Duration shutdownGrace) {
    this(
        bind,
        kubeconfig,
        tls,
        roleBaseArn,
        roleBaseArnAutodetect,
        assumeRoleArn,
        region,
        stsEndpoint,
        session,
        sessionDuration,
        sessionRefresh,
        podWait,
        prometheusListen,
        logFormat,
        level,
        shutdownGrace,
        CredentialCacheConfig.Pacing.defaults(),
        DEFAULT_WATCH_STALE_AFTER,
        Optional.empty());
  }

  /**
   * The refresh default for a session duration: 30 min, or half the session when that is shorter.
   */
  public static Duration defaultRefresh(Duration sessionDuration) {
    Duration half = sessionDuration.dividedBy(2);
    return half.compareTo(DEFAULT_SESSION_REFRESH) < 0 ? half : DEFAULT_SESSION_REFRESH;
  }

  private static String human(Duration d) {
    return d.isNegative()
        ? "-" + DurationConverter.format(d.negated())
        : DurationConverter.format(d);
  }

  private static void checkEndpoint(URI uri) {
    boolean web = "https".equals(uri.getScheme()) || "http".equals(uri.getScheme());
    if (!web || uri.getHost() == null) {
      throw new IllegalArgumentException(
          "--sts-endpoint: '"
              + uri
              + "' is not an http(s) URL (for example https://sts.eu-west-1.amazonaws.com)");
    }
  }
}
