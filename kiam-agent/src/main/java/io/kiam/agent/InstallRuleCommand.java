package io.kiam.agent;

import io.kiam.agent.iptables.HostInterface;
import io.kiam.agent.iptables.IptablesRules;
import io.kiam.agent.iptables.ProcessRunner;
import io.kiam.common.logging.LogFormat;
import io.kiam.common.logging.Logging;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kiam-agent install-rule}: installs the DNAT rule and exits, for the chart's init
 * container, so the rule is in place before the agent's main container starts (and while it
 * restarts), the same rule the agent installs itself.
 */
@Command(
    name = "install-rule",
    mixinStandardHelpOptions = true,
    description =
        "Install the metadata DNAT rule (idempotent) and exit: run before the agent, e.g. as an"
            + " init container.")
public final class InstallRuleCommand implements Callable<Integer> {
  @Option(
      names = "--port",
      defaultValue = "" + AgentConfig.DEFAULT_PORT,
      description = "Port of the agent's metadata server (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--host",
      defaultValue = "${env:HOST_IP}",
      description = "The node's IPv4 address, the DNAT target (default: $HOST_IP).")
  String host;

  @Option(
      names = "--host-interface",
      defaultValue = "cali+",
      split = ",",
      description = "Interface pods' traffic arrives on, repeatable (default: ${DEFAULT-VALUE}).")
  List<String> hostInterfaces = new ArrayList<>();

  /** The rules these flags describe; IllegalArgumentException (exit 2) when they are bad. */
  IptablesRules rules(io.kiam.agent.iptables.CommandRunner runner) {
    InetAddress address =
        host == null || host.isBlank()
            ? null
            : NetUtil.createInetAddressFromIpAddressString(host.strip());
    if (address == null) {
      throw new IllegalArgumentException("--host (or HOST_IP): the node's IPv4 address is needed");
    }
    return new IptablesRules(
        hostInterfaces.stream().map(HostInterface::parse).toList(), address, port, runner);
  }

  @Override
  public Integer call() {
    Logging.configure(LogFormat.TEXT, "info");
    IptablesRules rules = rules(new ProcessRunner());
    rules.checkUsable();
    rules.install();
    return 0;
  }
}
