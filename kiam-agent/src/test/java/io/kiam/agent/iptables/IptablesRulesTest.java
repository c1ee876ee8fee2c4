package io.kiam.agent.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** The rule logic against a runner that keeps the nat table in a list, as iptables would. */
class IptablesRulesTest {
  /** Behaves like iptables for -C, -A and -D on an in-memory chain; or fails as told. */
  private static final class TableRunner implements CommandRunner {
    final List<List<String>> chain = new ArrayList<>();
    final List<List<String>> commands = new ArrayList<>();
    CommandResult forced;
    Exception thrown;

    @Override
    public CommandResult run(List<String> command, Duration timeout)
        throws IOException, TimeoutException {
      commands.add(command);
      if (thrown instanceof IOException io) {
        throw io;
      }
      if (thrown instanceof TimeoutException t) {
        throw t;
      }
      if (forced != null) {
        return forced;
      }
      List<String> rule = command.subList(6, command.size());
      return switch (command.get(5)) {
        case "-C" -> chain.contains(rule) ? ok() : badRule();
        case "-A" -> {
          chain.add(List.copyOf(rule));
          yield ok();
        }
        case "-D" -> chain.remove(rule) ? ok() : badRule();
        default -> new CommandResult(2, "", "unknown option " + command.get(5));
      };
    }

    private static CommandResult ok() {
      return new CommandResult(0, "", "");
    }

    private static CommandResult badRule() {
      return new CommandResult(
          1, "", "iptables: Bad rule (does a matching rule exist in that chain?).");
    }
  }

  private final TableRunner runner = new TableRunner();

  private IptablesRules rules(String... interfaces) throws Exception {
    List<HostInterface> parsed = new ArrayList<>();
    for (String i : interfaces) {
      parsed.add(HostInterface.parse(i));
    }
    return new IptablesRules(parsed, InetAddress.getByName("10.0.0.5"), 8181, runner);
  }

  @Test
  void writesKiamsRuleWithTheLockAndTheNatTable() throws Exception {
    rules("cali+").install();
    assertEquals(
        List.of(
            "iptables",
            "-w",
            "5",
            "-t",
            "nat",
            "-A",
            "PREROUTING",
            "-d",
            "169.254.169.254/32",
            "-i",
            "cali+",
            "-p",
            "tcp",
            "--dport",
            "80",
            "-j",
            "DNAT",
            "--to-destination",
            "10.0.0.5:8181"),
        runner.commands.get(1));
    assertEquals("-C", runner.commands.get(0).get(5), "checks before adding");
  }

  @Test
  void installingTwiceLeavesOneRulePerInterface() throws Exception {
    IptablesRules rules = rules("cali+", "!eth0", "cali+");
    rules.install();
    rules.install();
    assertEquals(2, runner.chain.size());
    assertEquals(List.of("!", "-i", "eth0"), runner.chain.get(1).subList(3, 6));
    assertTrue(rules.isInstalled());
  }

  @Test
  void removeDeletesDuplicatesLeftBehind() throws Exception {
    IptablesRules rules = rules("eni+");
    rules.install();
    runner.chain.add(runner.chain.get(0));
    rules.remove();
    assertTrue(runner.chain.isEmpty());
    assertFalse(rules.isInstalled());
  }

  @Test
  void isInstalledNeedsEveryInterfacesRule() throws Exception {
    rules("cali+").install();
    assertFalse(rules("cali+", "eni+").isInstalled());
  }

  @Test
  void aMissingBinaryIsAClearError() throws Exception {
    runner.thrown =
        new IOException("Cannot run program \"iptables\": error=2, No such file or directory");
    IptablesException e = assertThrows(IptablesException.class, rules("cali+")::checkUsable);
    assertEquals(
        "iptables not found in PATH: install iptables or run without --iptables", e.getMessage());
  }

  @Test
  void missingNetAdminIsAClearError() throws Exception {
    runner.forced =
        new CommandResult(
            4,
            "",
            "iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied"
                + " (you must be root)\n");
    IptablesException e = assertThrows(IptablesException.class, rules("cali+")::install);
    assertTrue(e.getMessage().contains("needs the NET_ADMIN capability"), e.getMessage());
    assertTrue(e.getMessage().endsWith("(you must be root)"), e.getMessage());
    assertEquals(1, runner.commands.size(), "nothing is attempted after the check fails");
  }

  @Test
  void otherFailuresCarryIptablesOwnWords() throws Exception {
    runner.forced =
        new CommandResult(
            3,
            "",
            "iptables v1.8.9: can't initialize iptables table `nat': Table does not exist\n");
    IptablesException e = assertThrows(IptablesException.class, rules("cali+")::isInstalled);
    assertEquals(
        "iptables could not check the metadata rule for cali+ (exit 3): iptables v1.8.9: can't"
            + " initialize iptables table `nat': Table does not exist",
        e.getMessage());
  }

  @Test
  void aHeldLockIsATimeoutNotAHang() throws Exception {
    runner.thrown = new TimeoutException("iptables did not finish");
    IptablesException e = assertThrows(IptablesException.class, rules("cali+")::install);
    assertTrue(e.getMessage().contains("xtables lock"), e.getMessage());
  }

  @Test
  void refusesBadTargets() {
    assertThrows(
        IllegalArgumentException.class,
        () -> new IptablesRules(List.of(), InetAddress.getByName("10.0.0.5"), 8181, runner));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new IptablesRules(
                List.of(HostInterface.parse("cali+")), InetAddress.getByName("::1"), 8181, runner));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new IptablesRules(
                List.of(HostInterface.parse("cali+")),
                InetAddress.getByName("10.0.0.5"),
                0,
                runner));
  }
}
