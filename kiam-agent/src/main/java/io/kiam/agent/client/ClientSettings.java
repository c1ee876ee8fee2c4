package io.kiam.agent.client;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How the agent talks to the kiam-servers.
 *
 * @param target the servers' DNS name (every server's address) and port
 * @param serverName the name the servers' certificates must carry; null to use the target's host
 *     (set it when the target is an IP address or a name the certificate does not list)
 * @param callTimeout the deadline of one call including its retries; the AWS SDKs give the metadata
 *     service 1 s in all, so this stays below that
 * @param maxAttempts attempts per call on UNAVAILABLE, each on the next server (1 disables retries)
 * @param keepAliveTime how often an idle connection is pinged; the server must permit it
 * @param keepAliveTimeout how long a ping may go unanswered before the connection is dropped
 * @param resolveEvery how often the servers' name is looked up again, to find new servers
 * @param resolveMinGap the least time between two look-ups that connection failures ask for
 */
public record ClientSettings(
    ServerTarget target,
    String serverName,
    Duration callTimeout,
    int maxAttempts,
    Duration keepAliveTime,
    Duration keepAliveTimeout,
    Duration resolveEvery,
    Duration resolveMinGap,
    Optional<Path> nodeIdentityToken) {

  public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofMillis(800);
  public static final int DEFAULT_MAX_ATTEMPTS = 3;
  public static final Duration DEFAULT_KEEPALIVE_TIME = Duration.ofSeconds(30);
  public static final Duration DEFAULT_KEEPALIVE_TIMEOUT = Duration.ofSeconds(10);
  public static final Duration DEFAULT_RESOLVE_EVERY = Duration.ofSeconds(30);
  public static final Duration DEFAULT_RESOLVE_MIN_GAP = Duration.ofSeconds(2);

  /** gRPC caps retry attempts at 5. */
  private static final int MAX_ATTEMPTS_LIMIT = 5;

  public ClientSettings {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(nodeIdentityToken, "nodeIdentityToken");
    if (serverName != null && serverName.isBlank()) {
      throw new IllegalArgumentException("server name must not be blank");
    }
    requirePositive("call timeout", callTimeout);
    if (callTimeout.compareTo(Duration.ofSeconds(30)) > 0) {
      throw new IllegalArgumentException("call timeout must be at most 30s, was " + callTimeout);
    }
    if (maxAttempts < 1 || maxAttempts > MAX_ATTEMPTS_LIMIT) {
      throw new IllegalArgumentException(
          "max attempts must be 1.." + MAX_ATTEMPTS_LIMIT + ", was " + maxAttempts);
    }
    requirePositive("keepalive time", keepAliveTime);
    requirePositive("keepalive timeout", keepAliveTimeout);
    requirePositive("resolve interval", resolveEvery);
    requirePositive("resolve minimum gap", resolveMinGap);
  }

  /** The settings without a node identity token (tests and embedding). */
  public ClientSettings(
      ServerTarget target,
      String serverName,
      Duration callTimeout,
      int maxAttempts,
      Duration keepAliveTime,
      Duration keepAliveTimeout,
      Duration resolveEvery,
      Duration resolveMinGap) {
    this(
        target,
        serverName,
        callTimeout,
        maxAttempts,
        keepAliveTime,
        keepAliveTimeout,
        resolveEvery,
        resolveMinGap,
        Optional.empty());
  }

  /**
   * The same settings sending the projected service-account token in {@code file} with every call,
   * for servers that bind agents to their node ({@code --require-node-identity}).
   */
  public ClientSettings withNodeIdentityToken(Path file) {
    return new ClientSettings(
        target,
        serverName,
        callTimeout,
        maxAttempts,
        keepAliveTime,
        keepAliveTimeout,
        resolveEvery,
        resolveMinGap,
        Optional.of(file));
  }

  /** The defaults for this target: 800 ms per call, 3 attempts, 30 s keepalive and look-ups. */
  public static ClientSettings defaults(ServerTarget target) {
    return new ClientSettings(
        target,
        null,
        DEFAULT_CALL_TIMEOUT,
        DEFAULT_MAX_ATTEMPTS,
        DEFAULT_KEEPALIVE_TIME,
        DEFAULT_KEEPALIVE_TIMEOUT,
        DEFAULT_RESOLVE_EVERY,
        DEFAULT_RESOLVE_MIN_GAP,
        Optional.empty());
  }

  /** {@link #defaults(ServerTarget)} for an address in {@code --server-address} form. */
  public static ClientSettings defaults(String serverAddress) {
    return defaults(ServerTarget.parse(serverAddress));
  }

  public ClientSettings withServerName(String name) {
    return new ClientSettings(
        target,
        name,
        callTimeout,
        maxAttempts,
        keepAliveTime,
        keepAliveTimeout,
        resolveEvery,
        resolveMinGap,
        nodeIdentityToken);
  }

  public ClientSettings withCallTimeout(Duration timeout) {
    return new ClientSettings(
        target,
        serverName,
        timeout,
        maxAttempts,
        keepAliveTime,
        keepAliveTimeout,
        resolveEvery,
        resolveMinGap,
        nodeIdentityToken);
  }

  public ClientSettings withMaxAttempts(int attempts) {
    return new ClientSettings(
        target,
        serverName,
        callTimeout,
        attempts,
        keepAliveTime,
        keepAliveTimeout,
        resolveEvery,
        resolveMinGap,
        nodeIdentityToken);
  }

  public ClientSettings withResolving(Duration every, Duration minGap) {
    return new ClientSettings(
        target,
        serverName,
        callTimeout,
        maxAttempts,
        keepAliveTime,
        keepAliveTimeout,
        every,
        minGap,
        nodeIdentityToken);
  }

  /**
   * The most one attempt may take: half the call timeout when retries are on, so that a server that
   * died silently costs half the budget and the next server still has the other half (and the
   * server's own wait for a new pod, 300 ms by default, fits in an attempt of the default 800 ms).
   */
  public Duration attemptTimeout() {
    return maxAttempts > 1 ? callTimeout.dividedBy(2) : callTimeout;
  }

  /** The same settings with other keepalive pings (kiam's --grpc-keepalive-* flags). */
  public ClientSettings withKeepAlive(Duration time, Duration timeout) {
    return new ClientSettings(
        target,
        serverName,
        callTimeout,
        maxAttempts,
        time,
        timeout,
        resolveEvery,
        resolveMinGap,
        nodeIdentityToken);
  }

  /** The name checked against the servers' certificates. */
  public String expectedServerName() {
    return serverName != null ? serverName : target.host();
  }

  private static void requirePositive(String what, Duration d) {
    Objects.requireNonNull(d, what);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be positive, was " + d);
    }
  }
}
