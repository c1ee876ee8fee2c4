package io.kiam.chart;

import static io.kiam.chart.KiamChart.AGENT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.kiam.agent.AgentCommand;
import io.kiam.agent.AgentConfig;
import io.kiam.common.cli.KiamCli;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.ParseResult;

/**
 * The boot window as the chart closes it: the rule installed by an init container before the
 * agent's main container starts, and the agent's periodic check of the node's IMDSv1.
 */
class AgentBootWindowTest {

  private static PodSpec pod(String values) {
    return KiamChart.render(values).one(DaemonSet.class, AGENT).getSpec().getTemplate().getSpec();
  }

  @Test
  void anInitContainerInstallsTheAgentsOwnRuleBeforeTheAgentStarts() {
    PodSpec pod = pod("");
    assertEquals(1, pod.getInitContainers().size());
    Container init = pod.getInitContainers().get(0);
    Container agent = pod.getContainers().get(0);
    assertEquals(agent.getImage(), init.getImage());

    // the init container's args are the agent's own install-rule subcommand
    ParseResult initArgs =
        KiamCli.commandLine("kiam-agent", new AgentCommand())
            .parseArgs(ContainerArgs.expanded(init));
    assertTrue(initArgs.hasSubcommand());
    ParseResult installRule = initArgs.subcommand();
    assertEquals("install-rule", installRule.commandSpec().name());
    assertTrue(installRule.unmatched().isEmpty(), installRule.unmatched()::toString);

    // ...with the same target and interfaces as the rule the agent keeps
    AgentCommand main = new AgentCommand();
    KiamCli.commandLine("kiam-agent", main).parseArgs(ContainerArgs.expanded(agent));
    AgentConfig config = main.config();
    assertEquals(
        Integer.valueOf(config.port()), installRule.matchedOptionValue("--port", (Integer) null));
    assertEquals(ContainerArgs.NODE_IP, installRule.matchedOptionValue("--host", (String) null));
    assertEquals(
        config.hostInterfaces(), installRule.matchedOptionValue("--host-interface", List.of()));

    var security = init.getSecurityContext();
    assertEquals(Set.of("NET_ADMIN", "NET_RAW"), Set.copyOf(security.getCapabilities().getAdd()));
    assertEquals(List.of("ALL"), security.getCapabilities().getDrop());
    assertTrue(
        init.getVolumeMounts().stream().anyMatch(m -> m.getMountPath().equals("/run/xtables.lock")),
        "waits for kube-proxy and the CNI on the node's xtables lock");
  }

  @Test
  void noInitContainerWhenTheAgentManagesNoRule() {
    assertTrue(pod("agent:\n  iptables:\n    enabled: false\n").getInitContainers().isEmpty());
  }

  @Test
  void theAgentChecksTheNodesImdsv1EveryFiveMinutesByDefault() {
    AgentCommand command = new AgentCommand();
    KiamCli.commandLine("kiam-agent", command)
        .parseArgs(ContainerArgs.expanded(pod("").getContainers().get(0)));
    assertEquals(Duration.ofMinutes(5), command.config().imdsCheckInterval());

    AgentCommand off = new AgentCommand();
    KiamCli.commandLine("kiam-agent", off)
        .parseArgs(
            ContainerArgs.expanded(
                pod("agent:\n  imdsCheckInterval: \"0\"\n").getContainers().get(0)));
    assertEquals(Duration.ZERO, off.config().imdsCheckInterval());
  }

  @Test
  void schemaRefusesAnIntervalWithoutAUnit() {
    String message =
        assertThrows(
                IllegalStateException.class,
                () -> KiamChart.template("kiam", "agent:\n  imdsCheckInterval: \"5 minutes\"\n"))
            .getMessage();
    assertTrue(message.contains("/agent/imdsCheckInterval"), message);
  }
}
