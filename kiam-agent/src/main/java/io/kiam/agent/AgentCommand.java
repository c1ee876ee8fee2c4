package io.kiam.agent;

import io.kiam.agent.client.ClientSettings;
import io.kiam.agent.http.ConnectionLimits;
import io.kiam.agent.node.ApiServerNodeTaints;
import io.kiam.common.logging.LogFormat;
import io.kiam.common.logging.Logging;
import io.kiam.common.tls.TlsFiles;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code kiam-agent}: the flags (kiam's names where kiam had them) turned into an {@link
 * AgentConfig}, then the agent runs until SIGTERM.
 */
@Command(
    name = "kiam-agent",
    mixinStandardHelpOptions = true,
    version = "kiam-agent 0.1.0",
    sortOptions = false,
    subcommands = {CheckImdsCommand.class, InstallRuleCommand.class},
    description =
        "Impersonates the EC2 instance metadata service for the pods of this node: each pod gets"
            + " the credentials of its own iam.amazonaws.com/role from kiam-server, never the"
            + " node's.")
public final class AgentCommand implements Callable<Integer> {
  @Option(
      names = "--port",
      defaultValue = "" + AgentConfig.DEFAULT_PORT,
      description = "Port of the metadata server (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--host",
      defaultValue = "${env:HOST_IP}",
      description =
          "The node's IP: where the metadata server listens and the DNAT target"
              + " (default: $HOST_IP; unset: listen on every address).")
  String host;

  @Option(
      names = "--host-interface",
      defaultValue = "cali+",
      split = ",",
      description =
          "Interface pods' traffic arrives on, repeatable: cali+, eni+, !eth0"
              + " (default: ${DEFAULT-VALUE}).")
  List<String> hostInterfaces = new ArrayList<>();

  @Option(
      names = "--iptables",
      description = "Install the DNAT rule for 169.254.169.254:80 on each --host-interface.")
  boolean iptables;

  @Option(
      names = "--iptables-remove",
      description =
          "Remove the rule on shutdown (off by default: without it pods reach the node's own"
              + " credentials while no agent runs).")
  boolean iptablesRemove;

  @Option(
      names = "--server-address",
      defaultValue = AgentConfig.DEFAULT_SERVER_ADDRESS,
      description =
          "kiam-server address, dns:///NAME:PORT or HOST:PORT (default: ${DEFAULT-VALUE}).")
  String serverAddress;

  @Option(
      names = "--server-timeout",
      defaultValue = "800ms",
      description =
          "Deadline of one call to the servers, retries included; the AWS SDKs wait 1s"
              + " (default: ${DEFAULT-VALUE}).")
  Duration serverTimeout;

  @Option(
      names = "--node-name",
      defaultValue = "${env:NODE_NAME}",
      description =
          "The node this agent serves: the servers stream its pods' roles and credentials to the"
              + " agent, which then answers from memory (default: $NODE_NAME; unset: every request"
              + " asks a server).")
  String nodeName;

  @Option(
      names = "--disconnected-grace",
      defaultValue = "60s",
      description =
          "With no server reachable, how long pods already known keep their answers from memory;"
              + " then 503. A new pod gets 503 at once (default: ${DEFAULT-VALUE}).")
  Duration disconnectedGrace;

  @Option(names = "--cert", description = "Client certificate (PEM). Required.")
  Path cert;

  @Option(names = "--key", description = "Client private key (PEM). Required.")
  Path key;

  @Option(names = "--ca", description = "CA of the servers' certificates (PEM). Required.")
  Path ca;

  @Option(
      names = {"--allow-route-regexp", "--whitelist-route-regexp"},
      paramLabel = "REGEXP",
      description =
          "Metadata paths proxied to the real service, matched against the whole normalised"
              + " path, e.g. /latest/meta-data/placement/.* (default: none).")
  String allowRouteRegexp;

  @Option(
      names = "--metadata-endpoint",
      defaultValue = AgentConfig.DEFAULT_METADATA_ENDPOINT,
      description = "The real metadata service (default: ${DEFAULT-VALUE}).")
  String metadataEndpoint;

  @Option(
      names = "--require-imdsv2",
      description = "Refuse requests without an IMDSv2 session token (401).")
  boolean requireImdsv2;

  @Option(
      names = "--prometheus-listen-addr",
      description = "Serve Prometheus metrics on HOST:PORT/metrics (default: off).")
  InetSocketAddress prometheusListen;

  @Option(
      names = "--max-connections-per-ip",
      defaultValue = "" + ConnectionLimits.DEFAULT_PER_SOURCE,
      description =
          "Open connections one source IP may hold; past it the source's new connection is"
              + " closed at once, its open ones are kept (default: ${DEFAULT-VALUE}).")
  int maxConnectionsPerIp;

  @Option(
      names = "--max-connections",
      defaultValue = "" + ConnectionLimits.DEFAULT_TOTAL,
      description =
          "Open connections in all; past it the longest idle one is closed, or the new one if"
              + " all are busy (default: ${DEFAULT-VALUE}).")
  int maxConnections;

  @Option(
      names = "--log-format",
      defaultValue = "text",
      description = "Log format: text or json (default: ${DEFAULT-VALUE}).")
  LogFormat logFormat;

  @Option(names = "--json-log", hidden = true, description = "kiam's flag: --log-format json.")
  boolean jsonLog;

  @Option(
      names = "--level",
      defaultValue = "info",
      description = "Log level: trace, debug, info, warn, error (default: ${DEFAULT-VALUE}).")
  String level;

  @Option(
      names = "--imds-check-interval",
      defaultValue = "5m",
      description =
          "How often to check that the node's metadata service refuses IMDSv1 (metric"
              + " kiam_agent_node_imdsv1_open, a warning while it answers); 0 turns it off"
              + " (default: ${DEFAULT-VALUE}).")
  Duration imdsCheckInterval;

  /** uswitch/kiam v4's flags, so kiam's DaemonSet starts unchanged. */
  @Mixin KiamAgentFlags kiam = new KiamAgentFlags();

  /** The opt-in startup taint the agent lifts from its own node. */
  @Mixin StartupTaintFlags startupTaint = new StartupTaintFlags();

  @Option(
      names = "--node-identity-token",
      paramLabel = "FILE",
      description =
          "A projected service-account token (audience kiam-server) sent with every call, for"
              + " servers run with --require-node-identity; re-read when the kubelet rotates it"
              + " (default: none).")
  Path nodeIdentityToken;

  /** The validated configuration these flags describe. */
  public AgentConfig config() {
    kiam.refuseUnsafe();
    // not picocli's required=true: that would demand them of the subcommands too
    if (cert == null || key == null || ca == null) {
      throw new IllegalArgumentException("--cert, --key and --ca are required");
    }
    return new AgentConfig(
        port,
        hostAddress(),
        hostInterfaces,
        iptables,
        iptablesRemove && !kiam.noIptablesRemove,
        serverAddress,
        serverTimeout,
        new TlsFiles(cert, key, ca),
        allowRoute(),
        endpoint(),
        requireImdsv2,
        Optional.ofNullable(prometheusListen),
        jsonLog ? LogFormat.JSON : logFormat,
        level,
        nodeName == null || nodeName.isBlank() ? Optional.empty() : Optional.of(nodeName.strip()),
        disconnectedGrace,
        imdsCheckInterval);
  }

  /** The startup taint these flags ask the agent to lift from its own node, if any. */
  public Optional<io.kiam.agent.node.StartupTaintConfig> startupTaint() {
    return startupTaint.config();
  }

  /** The validated connection limits these flags describe. */
  public ConnectionLimits connectionLimits() {
    return new ConnectionLimits(maxConnectionsPerIp, maxConnections);
  }

  @Override
  public Integer call() throws InterruptedException {
    // Before anything else logs (Netty's static set-up logs at DEBUG to stdout otherwise).
    Logging.configure(jsonLog ? LogFormat.JSON : logFormat, level);
    AgentConfig config = config();
    ConnectionLimits limits = connectionLimits();
    config.tls().requireReadable();
    kiam.warn();
    AccessLogQueue accessLog = AccessLogQueue.install(AccessLogQueue.DEFAULT_CAPACITY);
    Agent agent =
        builder(config).accessLogDropped(accessLog::dropped).connectionLimits(limits).build();
    agent.start();
    Runtime.getRuntime().addShutdownHook(new Thread(agent::close, "kiam-agent-shutdown"));
    agent.awaitClosed();
    return 0;
  }

  /** The agent these flags describe, kiam's start-up wait and keepalive flags applied. */
  Agent.Builder builder(AgentConfig config) {
    UnaryOperator<ClientSettings> tuning = kiam.clientSettings();
    Path token = nodeIdentityToken;
    if (token != null && !Files.isReadable(token)) {
      throw new IllegalArgumentException("--node-identity-token: cannot read " + token);
    }
    Agent.Builder builder =
        Agent.builder(config)
            .clientSettings(
                token == null
                    ? tuning
                    : settings -> tuning.apply(settings).withNodeIdentityToken(token));
    kiam.startupWait().ifPresent(builder::startupWait);
    startupTaint
        .config()
        .ifPresent(
            taint -> {
              if (config.nodeName().isEmpty()) {
                throw new IllegalArgumentException(
                    "--remove-startup-taint needs --node-name (NODE_NAME): the agent removes the"
                        + " taint from its own node only");
              }
              builder.startupTaint(taint.taintKey(), ApiServerNodeTaints.create(taint));
            });
    return builder;
  }

  private Optional<InetAddress> hostAddress() {
    if (host == null || host.isBlank()) {
      return Optional.empty();
    }
    // Literal addresses only: a name would need DNS at start and could change under us.
    InetAddress address = NetUtil.createInetAddressFromIpAddressString(host.strip());
    if (address == null) {
      throw new IllegalArgumentException("--host: '" + host + "' is not an IP address");
    }
    return Optional.of(address);
  }

  private Optional<Pattern> allowRoute() {
    if (allowRouteRegexp == null || allowRouteRegexp.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Pattern.compile(allowRouteRegexp));
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException(
          "--allow-route-regexp: '"
              + allowRouteRegexp
              + "' is not a regular expression: "
              + e.getDescription(),
          e);
    }
  }

  private URI endpoint() {
    try {
      return new URI(metadataEndpoint);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(
          "--metadata-endpoint: '" + metadataEndpoint + "' is not a URL: " + e.getReason(), e);
    }
  }
}
