package io.kiam.agent;

import io.kiam.agent.client.ServerTarget;
import io.kiam.common.logging.LogFormat;
import io.kiam.common.logging.Logging;
import io.kiam.common.tls.TlsFiles;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The agent's settings, validated once: every bad value fails here with one line naming the flag.
 *
 * @param port the metadata server's port (0 picks a free one, for tests)
 * @param host the node's IP (HOST_IP): the address to listen on and the DNAT target; empty listens
 *     on every address
 * @param hostInterfaces the interfaces pods' traffic arrives on (iptables {@code -i})
 * @param serverAddress where the kiam-servers are ({@code dns:///NAME:PORT} or {@code HOST:PORT})
 * @param serverTimeout the deadline of one server call, retries included
 * @param allowRoute metadata paths (whole normalised path) proxied to the real service
 * @param metadataEndpoint the real metadata service, {@code http://HOST[:PORT]}
 * @param nodeName the node this agent serves (NODE_NAME): the servers stream this node's pods to
 *     it; empty means every answer is asked of a server
 * @param disconnectedGrace how long pods the agent knows keep being answered from memory once no
 *     server is reachable (zero: not at all); docs/security.md explains the default
 */
public record AgentConfig(
    int port,
    Optional<InetAddress> host,
    List<String> hostInterfaces,
    boolean iptables,
    boolean iptablesRemove,
    String serverAddress,
    Duration serverTimeout,
    TlsFiles tls,
    Optional<Pattern> allowRoute,
    URI metadataEndpoint,
    boolean requireImdsv2,
    Optional<InetSocketAddress> prometheusListen,
    LogFormat logFormat,
    String level,
    Optional<String> nodeName,
    Duration disconnectedGrace,
    Duration imdsCheckInterval) {

  /** How often the agent checks that the node's metadata service refuses IMDSv1 (0: never). */
  public static final Duration DEFAULT_IMDS_CHECK_INTERVAL = Duration.ofMinutes(5);

  /** Settings without the node's IMDSv1 check (for embedding and tests). */
  public AgentConfig(
      int port,
      Optional<InetAddress> host,
      List<String> hostInterfaces,
      boolean iptables,
      boolean iptablesRemove,
      String serverAddress,
      Duration serverTimeout,
      TlsFiles tls,
      Optional<Pattern> allowRoute,
      URI metadataEndpoint,
      boolean requireImdsv2,
      Optional<InetSocketAddress> prometheusListen,
      LogFormat logFormat,
      String level) {
    this(
        port,
        host,
        hostInterfaces,
        iptables,
        iptablesRemove,
        serverAddress,
        serverTimeout,
        tls,
        allowRoute,
        metadataEndpoint,
        requireImdsv2,
        prometheusListen,
        logFormat,
        level,
        Optional.empty(),
        DEFAULT_DISCONNECTED_GRACE,
        Duration.ZERO);
  }

  /** Settings without the node's IMDSv1 check, with a node stream (for embedding and tests). */
  public AgentConfig(
      int port,
      Optional<InetAddress> host,
      List<String> hostInterfaces,
      boolean iptables,
      boolean iptablesRemove,
      String serverAddress,
      Duration serverTimeout,
      TlsFiles tls,
      Optional<Pattern> allowRoute,
      URI metadataEndpoint,
      boolean requireImdsv2,
      Optional<InetSocketAddress> prometheusListen,
      LogFormat logFormat,
      String level,
      Optional<String> nodeName,
      Duration disconnectedGrace) {
    this(
        port,
        host,
        hostInterfaces,
        iptables,
        iptablesRemove,
        serverAddress,
        serverTimeout,
        tls,
        allowRoute,
        metadataEndpoint,
        requireImdsv2,
        prometheusListen,
        logFormat,
        level,
        nodeName,
        disconnectedGrace,
        Duration.ZERO);
  }

  public static final int DEFAULT_PORT = 8181;
  public static final String DEFAULT_SERVER_ADDRESS = "dns:///kiam-server:9610";
  public static final String DEFAULT_METADATA_ENDPOINT = "http://169.254.169.254";
  public static final Duration DEFAULT_SERVER_TIMEOUT = Duration.ofMillis(800);

  /** How much longer than a server call a request may take before the agent answers 503. */
  public static final Duration REQUEST_GRACE = Duration.ofMillis(150);

  /** How long one exchange with the real metadata service may take (two fit in a request). */
  public static final Duration UPSTREAM_TIMEOUT = Duration.ofMillis(400);

  /** How long an unused keep-alive connection from a pod stays open. */
  public static final Duration IDLE_TIMEOUT = Duration.ofSeconds(60);

  /** From a request's first byte to its answer, at most (cuts off callers trickling bytes). */
  public static final Duration SLOW_REQUEST_TIMEOUT = Duration.ofSeconds(10);

  /**
   * How long known pods are answered with no server reachable: long enough to ride out a
   * control-plane restart, short enough that an IP freed and reused meanwhile is rarely served a
   * role it no longer has (docs/security.md).
   */
  public static final Duration DEFAULT_DISCONNECTED_GRACE = Duration.ofSeconds(60);

  private static final Duration MAX_DISCONNECTED_GRACE = Duration.ofMinutes(15);

  /** A Kubernetes node name: a DNS subdomain. */
  private static final Pattern NODE_NAME =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

  private static final Duration MIN_SERVER_TIMEOUT = Duration.ofMillis(10);
  private static final Duration MAX_SERVER_TIMEOUT = Duration.ofSeconds(30);

  public AgentConfig {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("--port: " + port + " is not in 1..65535");
    }
    Objects.requireNonNull(host, "host");
    hostInterfaces = List.copyOf(hostInterfaces);
    for (String name : hostInterfaces) {
      if (!name.matches("!?[A-Za-z0-9_.@-]{1,15}\\+?")) {
        throw new IllegalArgumentException(
            "--host-interface: '" + name + "' is not an interface name (examples: cali+, !eth0)");
      }
    }
    if (iptables) {
      if (host.isEmpty() || !(host.get() instanceof Inet4Address)) {
        throw new IllegalArgumentException(
            "--iptables needs --host (or HOST_IP) set to the node's IPv4 address");
      }
      if (port == 0) {
        throw new IllegalArgumentException("--iptables needs a fixed --port");
      }
      if (hostInterfaces.isEmpty()) {
        throw new IllegalArgumentException(
            "--iptables needs at least one --host-interface (e.g. cali+)");
      }
    }
    try {
      ServerTarget.parse(serverAddress);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--server-address: " + e.getMessage(), e);
    }
    if (serverTimeout.compareTo(MIN_SERVER_TIMEOUT) < 0
        || serverTimeout.compareTo(MAX_SERVER_TIMEOUT) > 0) {
      throw new IllegalArgumentException(
          "--server-timeout: must be between 10ms and 30s (the SDKs wait 1s), was "
              + serverTimeout.toMillis()
              + "ms");
    }
    Objects.requireNonNull(tls, "tls");
    Objects.requireNonNull(allowRoute, "allowRoute");
    checkEndpoint(metadataEndpoint);
    Objects.requireNonNull(prometheusListen, "prometheusListen");
    Objects.requireNonNull(logFormat, "logFormat");
    Logging.parseLevel(level);
    Objects.requireNonNull(nodeName, "nodeName");
    if (nodeName.isPresent()
        && (nodeName.get().length() > 253 || !NODE_NAME.matcher(nodeName.get()).matches())) {
      throw new IllegalArgumentException(
          "--node-name: '" + nodeName.get() + "' is not a Kubernetes node name");
    }
    Objects.requireNonNull(disconnectedGrace, "disconnectedGrace");
    if (disconnectedGrace.isNegative() || disconnectedGrace.compareTo(MAX_DISCONNECTED_GRACE) > 0) {
      throw new IllegalArgumentException(
          "--disconnected-grace: must be between 0s and 15m, was " + disconnectedGrace);
    }
    Objects.requireNonNull(imdsCheckInterval, "imdsCheckInterval");
    if (imdsCheckInterval.isNegative()
        || (!imdsCheckInterval.isZero()
            && imdsCheckInterval.compareTo(Duration.ofSeconds(10)) < 0)) {
      throw new IllegalArgumentException(
          "--imds-check-interval: 0 (off) or at least 10s, was "
              + imdsCheckInterval.toMillis()
              + "ms");
    }
  }

  private static void checkEndpoint(URI endpoint) {
    Objects.requireNonNull(endpoint, "metadataEndpoint");
    String path = endpoint.getRawPath();
    if (!"http".equals(endpoint.getScheme())
        || endpoint.getHost() == null
        || endpoint.getRawUserInfo() != null
        || endpoint.getRawQuery() != null
        || endpoint.getRawFragment() != null
        || !(path == null || path.isEmpty() || path.equals("/"))) {
      throw new IllegalArgumentException(
          "--metadata-endpoint: '" + endpoint + "' is not http://HOST[:PORT]");
    }
  }

  /** Where the metadata server listens: the node's IP when known, else every address. */
  public InetSocketAddress listenAddress() {
    return host.map(ip -> new InetSocketAddress(ip, port))
        .orElseGet(() -> new InetSocketAddress(port));
  }

  /** The most a pod's request waits for the agent's answer. */
  public Duration requestTimeout() {
    return serverTimeout.plus(REQUEST_GRACE);
  }
}
