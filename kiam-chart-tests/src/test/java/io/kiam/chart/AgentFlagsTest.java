package io.kiam.chart;

import static io.kiam.chart.KiamChart.AGENT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.kiam.agent.AgentCommand;
import io.kiam.agent.AgentConfig;
import io.kiam.agent.http.ConnectionLimits;
import io.kiam.common.cli.KiamCli;
import io.kiam.common.logging.LogFormat;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine.ParseResult;

/**
 * Every flag the chart renders for the agent, with $(HOST_IP) expanded as the kubelet does, parsed
 * by kiam-agent's own picocli command and turned into its validated AgentConfig: the chart cannot
 * pass a flag or a value the binary refuses.
 */
class AgentFlagsTest {

  private static AgentConfig config(String values) {
    return command(values).config();
  }

  private static AgentCommand command(String values) {
    Container container =
        KiamChart.render(values)
            .one(DaemonSet.class, AGENT)
            .getSpec()
            .getTemplate()
            .getSpec()
            .getContainers()
            .get(0);
    String[] args = ContainerArgs.expanded(container);
    AgentCommand command = new AgentCommand();
    ParseResult result = KiamCli.commandLine("kiam-agent", command).parseArgs(args);
    assertTrue(result.unmatched().isEmpty(), () -> "unmatched: " + result.unmatched());
    for (String arg : args) {
      assertTrue(result.hasMatchedOption(ContainerArgs.optionName(arg)), arg);
    }
    return command;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.kiam.chart.Scenarios#all")
  void agentAcceptsEveryRenderedFlag(String scenario, String values) {
    config(values);
  }

  @Test
  void defaultValuesInstallTheRuleOnTheNodeAddressAndKeepIt() {
    AgentConfig config = config("");
    assertTrue(config.iptables());
    assertFalse(config.iptablesRemove());
    assertEquals(List.of("cali+"), config.hostInterfaces());
    assertEquals(ContainerArgs.NODE_IP, config.host().orElseThrow().getHostAddress());
    assertEquals(8181, config.port());
    assertEquals(ContainerArgs.NODE_NAME, config.nodeName().orElseThrow());
    assertEquals("dns:///kiam-server.kiam-system.svc.cluster.local:9610", config.serverAddress());
    assertEquals(Path.of("/etc/kiam/tls/tls.crt"), config.tls().cert());
    assertTrue(config.prometheusListen().isEmpty());
  }

  @Test
  void awsVpcCniValuesReachTheAgent() {
    AgentConfig config = config(Scenarios.AWS_VPC_CNI);
    assertEquals(List.of("eni+"), config.hostInterfaces());
    assertTrue(config.iptablesRemove());
    assertTrue(config.requireImdsv2());
    assertTrue(
        config
            .allowRoute()
            .orElseThrow()
            .matcher("/latest/meta-data/placement/availability-zone")
            .matches());
  }

  @Test
  void metricsAndJsonLogsReachTheAgent() {
    assertEquals(9621, config(Scenarios.METRICS).prometheusListen().orElseThrow().getPort());
    assertEquals(LogFormat.JSON, config(Scenarios.EXPLICIT_AWS).logFormat());
  }

  @Test
  void connectionLimitsReachTheAgent() {
    assertEquals(
        ConnectionLimits.defaults(), command("").connectionLimits(), "the chart's defaults");
    assertEquals(
        new ConnectionLimits(8, 100),
        command("agent:\n  connections:\n    maxPerIp: 8\n    max: 100\n").connectionLimits());
  }
}
