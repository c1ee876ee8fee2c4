package io.kiam.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiam.agent.iptables.CommandResult;
import io.kiam.common.cli.KiamCli;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.ParseResult;

/** The init container's command: the agent's own rule, from the agent's own flags, no TLS. */
class InstallRuleCommandTest {

  private static InstallRuleCommand parse(String... args) {
    List<String> all = new ArrayList<>(List.of("install-rule"));
    all.addAll(List.of(args));
    ParseResult result =
        KiamCli.commandLine("kiam-agent", new AgentCommand()).parseArgs(all.toArray(String[]::new));
    return (InstallRuleCommand) result.subcommand().commandSpec().userObject();
  }

  @Test
  void installsTheSameDnatRuleAsTheAgentWithoutTlsFlags() {
    InstallRuleCommand command = parse("--host=192.0.2.10", "--port=8181", "--host-interface=eni+");
    List<List<String>> ran = new ArrayList<>();
    command
        .rules(
            (cmd, timeout) -> {
              ran.add(cmd);
              return new CommandResult(cmd.contains("-C") ? 1 : 0, "", "");
            })
        .install();
    List<String> append = ran.stream().filter(c -> c.contains("-A")).findFirst().orElseThrow();
    assertTrue(append.containsAll(List.of("PREROUTING", "-i", "eni+", "DNAT")), append::toString);
    assertEquals("192.0.2.10:8181", append.get(append.indexOf("--to-destination") + 1));
  }

  @Test
  void refusesWithoutTheNodesAddress() {
    InstallRuleCommand command = parse("--host=");
    assertThrows(
        IllegalArgumentException.class,
        () -> command.rules((cmd, timeout) -> new CommandResult(0, "", "")));
  }
}
