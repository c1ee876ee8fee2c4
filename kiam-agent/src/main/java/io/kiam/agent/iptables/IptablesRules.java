package io.kiam.agent.iptables;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * kiam's interception rule, one per host interface: {@code -t nat PREROUTING -d 169.254.169.254/32
 * -i IFACE -p tcp --dport 80 -j DNAT --to-destination HOST_IP:PORT}, so that pods asking the EC2
 * metadata service reach the agent instead.
 *
 * <p>Idempotent: each rule is checked ({@code -C}) before it is appended, and removal deletes until
 * none is left. Every call takes the xtables lock ({@code -w}), waiting a bounded time, as
 * kube-proxy and the CNI plugins on the node also change the nat table. Each call blocks for one or
 * more iptables runs: call it off any event loop.
 */
public final class IptablesRules {
  static final String METADATA_ADDRESS = "169.254.169.254/32";
  static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(10);
  private static final String LOCK_WAIT_SECONDS = "5";
  private static final int MAX_DUPLICATES = 100;
  private static final Logger log = LoggerFactory.getLogger(IptablesRules.class);

  private final List<HostInterface> interfaces;
  private final String destination;
  private final CommandRunner runner;
  private final String binary;

  /** Rules for the agent at {@code hostIp:port}, run with the {@code iptables} on the PATH. */
  public IptablesRules(
      List<HostInterface> interfaces, InetAddress hostIp, int port, CommandRunner runner) {
    this(interfaces, hostIp, port, runner, "iptables");
  }

  /** As above with another iptables program (e.g. {@code iptables-legacy}). */
  public IptablesRules(
      List<HostInterface> interfaces,
      InetAddress hostIp,
      int port,
      CommandRunner runner,
      String binary) {
    if (interfaces == null || interfaces.isEmpty()) {
      throw new IllegalArgumentException(
          "--host-interface: name at least one interface pods' traffic arrives on (e.g. cali+)");
    }
    if (!(hostIp instanceof Inet4Address)) {
      throw new IllegalArgumentException(
          "--host: the DNAT target must be the node's IPv4 address, was " + hostIp);
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("--port: out of range 1..65535: " + port);
    }
    this.interfaces = List.copyOf(new LinkedHashSet<>(interfaces));
    this.destination = hostIp.getHostAddress() + ":" + port;
    this.runner = runner;
    this.binary = binary;
  }

  /**
   * Fails with a message an operator can act on when iptables is missing or the agent lacks
   * NET_ADMIN; run at start with {@code --iptables}.
   */
  public void checkUsable() {
    check(interfaces.get(0));
  }

  /** Adds each rule that is not there yet. */
  public void install() {
    for (HostInterface iface : interfaces) {
      if (check(iface)) {
        log.atInfo()
            .addKeyValue("iptables.interface", iface)
            .addKeyValue("iptables.destination", destination)
            .log("metadata DNAT rule already in place");
        continue;
      }
      require(iptables("-A", iface), "add", iface);
      log.atInfo()
          .addKeyValue("iptables.interface", iface)
          .addKeyValue("iptables.destination", destination)
          .log("installed metadata DNAT rule");
    }
  }

  /** Deletes every copy of each rule (an earlier crash may have left duplicates). */
  public void remove() {
    for (HostInterface iface : interfaces) {
      int removed = 0;
      while (check(iface)) {
        if (removed == MAX_DUPLICATES) {
          throw new IptablesException(
              "iptables: rule for " + iface + " still present after " + removed + " deletions");
        }
        require(iptables("-D", iface), "delete", iface);
        removed++;
      }
      log.atInfo()
          .addKeyValue("iptables.interface", iface)
          .addKeyValue("iptables.destination", destination)
          .log("removed {} metadata DNAT rule(s)", removed);
    }
  }

  /** True when the rule for every interface is present (for /health). */
  public boolean isInstalled() {
    for (HostInterface iface : interfaces) {
      if (!check(iface)) {
        return false;
      }
    }
    return true;
  }

  /** The rule as iptables arguments after the operation, e.g. for {@code -C}. */
  List<String> rule(HostInterface iface) {
    List<String> rule = new ArrayList<>(List.of("PREROUTING", "-d", METADATA_ADDRESS));
    rule.addAll(iface.match());
    rule.addAll(
        List.of("-p", "tcp", "--dport", "80", "-j", "DNAT", "--to-destination", destination));
    return rule;
  }

  private boolean check(HostInterface iface) {
    CommandResult result = iptables("-C", iface);
    if (result.exitCode() == 0) {
      return true;
    }
    if (result.exitCode() == 1) {
      // iptables answers "Bad rule (does a matching rule exist in that chain?)" with 1.
      return false;
    }
    throw failure(result, "check", iface);
  }

  private void require(CommandResult result, String action, HostInterface iface) {
    if (result.exitCode() != 0) {
      throw failure(result, action, iface);
    }
  }

  private CommandResult iptables(String operation, HostInterface iface) {
    List<String> command =
        new ArrayList<>(List.of(binary, "-w", LOCK_WAIT_SECONDS, "-t", "nat", operation));
    command.addAll(rule(iface));
    try {
      return runner.run(command, COMMAND_TIMEOUT);
    } catch (IOException e) {
      // ProcessBuilder reports a missing program only through the text "error=2, No such file".
      if (String.valueOf(e.getMessage()).contains("error=2,")) {
        throw new IptablesException(
            binary + " not found in PATH: install iptables or run without --iptables", e);
      }
      throw new IptablesException("cannot run " + binary + ": " + e.getMessage(), e);
    } catch (TimeoutException e) {
      throw new IptablesException(
          binary
              + " did not finish within "
              + COMMAND_TIMEOUT.toSeconds()
              + "s (another process may hold the xtables lock)",
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IptablesException("interrupted while running " + binary, e);
    }
  }

  private IptablesException failure(CommandResult result, String action, HostInterface iface) {
    String said = result.firstErrorLine();
    // iptables has no machine-readable error: exit code 4 and this text are its only signal.
    if (result.exitCode() == 4 || said.contains("Permission denied")) {
      return new IptablesException(
          binary
              + ": permission denied: the agent needs the NET_ADMIN capability (run it with"
              + " securityContext.capabilities.add [NET_ADMIN] in the host network) or run without"
              + " --iptables; iptables said: "
              + said);
    }
    return new IptablesException(
        binary
            + " could not "
            + action
            + " the metadata rule for "
            + iface
            + " (exit "
            + result.exitCode()
            + "): "
            + said);
  }
}
