package io.kiam.agent;

import io.kiam.common.logging.LogFormat;
import io.kiam.common.logging.Logging;
import io.kiam.common.tls.TlsFiles;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
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

  @Option(names = "--cert", required = true, description = "Client certificate (PEM).")
  Path cert;

  @Option(names = "--key", required = true, description = "Client private key (PEM).")
  Path key;

  @Option(names = "--ca", required = true, description = "CA of the servers' certificates (PEM).")
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

  /** uswitch/kiam v4's flags, so kiam's DaemonSet starts unchanged. */
  @Mixin KiamAgentFlags kiam = new KiamAgentFlags();

  /** The validated configuration these flags describe. */
  public AgentConfig config() {
    kiam.refuseUnsafe();
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
        level);
  }

  @Override
  public Integer call() throws InterruptedException {
    // Before anything else logs (Netty's static set-up logs at DEBUG to stdout otherwise).
    Logging.configure(jsonLog ? LogFormat.JSON : logFormat, level);
    AgentConfig config = config();
    config.tls().requireReadable();
    kiam.warn();
    Agent agent = builder(config).build();
    agent.start();
    Runtime.getRuntime().addShutdownHook(new Thread(agent::close, "kiam-agent-shutdown"));
    agent.awaitClosed();
    return 0;
  }

  /** The agent these flags describe, kiam's start-up wait and keepalive flags applied. */
  Agent.Builder builder(AgentConfig config) {
    Agent.Builder builder = Agent.builder(config).clientSettings(kiam.clientSettings());
    kiam.startupWait().ifPresent(builder::startupWait);
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
