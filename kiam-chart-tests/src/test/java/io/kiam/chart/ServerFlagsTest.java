package io.kiam.chart;

import static io.kiam.chart.KiamChart.SERVER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.kiam.common.cli.KiamCli;
import io.kiam.server.ServerCommand;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * Every flag the chart renders for the server, and for its health probes, parsed by kiam-server's
 * own picocli command with the converters its main registers: the chart cannot pass a flag or a
 * value the binary refuses.
 */
class ServerFlagsTest {

  private static CommandLine serverCommandLine() {
    return KiamCli.commandLine("kiam-server", new ServerCommand());
  }

  private static Container container(Rendered rendered) {
    return rendered
        .one(Deployment.class, SERVER)
        .getSpec()
        .getTemplate()
        .getSpec()
        .getContainers()
        .get(0);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.kiam.chart.Scenarios#all")
  void serverAcceptsEveryRenderedFlag(String scenario, String values) {
    String[] args = ContainerArgs.expanded(container(KiamChart.render(values)));
    ParseResult result = serverCommandLine().parseArgs(args);
    assertTrue(result.unmatched().isEmpty(), () -> "unmatched: " + result.unmatched());
    for (String arg : args) {
      assertTrue(result.hasMatchedOption(ContainerArgs.optionName(arg)), arg);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.kiam.chart.Scenarios#all")
  void probesAskTheHealthPortTheServerOpens(String scenario, String values) {
    Container container = container(KiamChart.render(values));
    ParseResult result = serverCommandLine().parseArgs(ContainerArgs.expanded(container));
    InetSocketAddress health = result.matchedOptionValue("--health-listen-addr", null);
    assertEquals("0.0.0.0", health.getHostString(), "the kubelet probes the pod's address");
    for (Probe probe :
        List.of(
            container.getStartupProbe(),
            container.getReadinessProbe(),
            container.getLivenessProbe())) {
      assertNull(probe.getExec(), "no JVM per probe");
      assertEquals(health.getPort(), probe.getGrpc().getPort());
      // the overall status, which the server sets with its KiamService status
      assertTrue(probe.getGrpc().getService() == null || probe.getGrpc().getService().isEmpty());
    }
  }

  @Test
  void defaultValuesBecomeTheIntendedSettings() {
    String[] args = ContainerArgs.expanded(container(KiamChart.render("")));
    ParseResult result = serverCommandLine().parseArgs(args);
    InetSocketAddress bind = result.matchedOptionValue("--bind", null);
    assertEquals(9610, bind.getPort());
    assertEquals(Duration.ofMinutes(60), result.matchedOptionValue("--session-duration", null));
    assertTrue(result.hasMatchedOption("--role-base-arn-autodetect"), Arrays.toString(args));
    assertEquals(50.0, (double) result.matchedOptionValue("--sts-rate", 0.0));
    assertEquals(100, (int) result.matchedOptionValue("--sts-burst", 0));
    assertEquals(Duration.ofMinutes(1), result.matchedOptionValue("--watch-stale-after", null));
    assertTrue(!result.hasMatchedOption("--session-tags"), "session tags are opt-in");
  }

  @Test
  void sessionTagsValueTurnsTheFlagOn() {
    String[] args =
        ContainerArgs.expanded(container(KiamChart.render("server:\n  sessionTags: true\n")));
    ParseResult result = serverCommandLine().parseArgs(args);
    assertTrue(result.hasMatchedOption("--session-tags"), Arrays.toString(args));
  }

  @Test
  void stsRateAndBurstValuesReachTheServersFlags() {
    String[] args =
        ContainerArgs.expanded(
            container(KiamChart.render("server:\n  stsRate: 12.5\n  stsBurst: 25\n")));
    ParseResult result = serverCommandLine().parseArgs(args);
    assertEquals(12.5, (double) result.matchedOptionValue("--sts-rate", 0.0));
    assertEquals(25, (int) result.matchedOptionValue("--sts-burst", 0));
  }
}
