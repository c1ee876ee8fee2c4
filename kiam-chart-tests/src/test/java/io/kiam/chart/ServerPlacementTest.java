package io.kiam.chart;

import static io.kiam.chart.KiamChart.AGENT;
import static io.kiam.chart.KiamChart.SERVER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.kiam.agent.AgentCommand;
import io.kiam.agent.AgentConfig;
import io.kiam.agent.iptables.CommandResult;
import io.kiam.agent.iptables.HostInterface;
import io.kiam.agent.iptables.IptablesRules;
import io.kiam.common.cli.KiamCli;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Where the chart puts the server, and why that works in every IAM set-up: in the node's network,
 * where its metadata calls never meet the agent's rule
 * (docs/architecture.md#where-the-server-runs).
 */
class ServerPlacementTest {

  private static PodSpec serverPod(String values) {
    return KiamChart.render(values).one(Deployment.class, SERVER).getSpec().getTemplate().getSpec();
  }

  private static PodSpec agentPod(String values) {
    return KiamChart.render(values).one(DaemonSet.class, AGENT).getSpec().getTemplate().getSpec();
  }

  private static boolean tolerates(List<Toleration> tolerations, Taint taint) {
    return tolerations.stream()
        .anyMatch(
            t ->
                (t.getKey() == null || t.getKey().equals(taint.getKey()))
                    && (t.getEffect() == null || t.getEffect().equals(taint.getEffect()))
                    && ("Exists".equals(t.getOperator())
                        || java.util.Objects.equals(t.getValue(), taint.getValue())));
  }

  @Test
  void serverRunsInTheNodesNetworkAndStillResolvesClusterNames() {
    PodSpec pod = serverPod("");
    assertEquals(Boolean.TRUE, pod.getHostNetwork());
    assertEquals("ClusterFirstWithHostNet", pod.getDnsPolicy());
  }

  @Test
  void anAgentRunsOnEveryServerNodeSoItsRuleMustNotCatchTheServer() {
    // the server's nodes carry the control-plane taint, which the agent tolerates too: both run
    // there, which is why the server's own metadata calls must not pass through the agent's rule
    Taint controlPlane =
        new TaintBuilder()
            .withKey("node-role.kubernetes.io/control-plane")
            .withEffect("NoSchedule")
            .build();
    assertTrue(tolerates(serverPod("").getTolerations(), controlPlane));
    assertTrue(tolerates(agentPod("").getTolerations(), controlPlane));
  }

  @Test
  void theAgentsRuleOnlyMatchesTrafficArrivingOnPodInterfaces() throws Exception {
    // What the chart's agent would run, recorded instead of executed: every rule sits in
    // PREROUTING with an input interface. Packets a host-network process sends (the server's) go
    // through OUTPUT, never PREROUTING, so no --host-interface value can redirect them.
    Container container = agentPod("").getContainers().get(0);
    String[] args = ContainerArgs.expanded(container);
    AgentCommand command = new AgentCommand();
    KiamCli.commandLine("kiam-agent", command).parseArgs(args);
    AgentConfig config = command.config();
    List<List<String>> ran = new ArrayList<>();
    IptablesRules rules =
        new IptablesRules(
            config.hostInterfaces().stream().map(HostInterface::parse).toList(),
            InetAddress.getByName(ContainerArgs.NODE_IP),
            config.port(),
            (cmd, timeout) -> {
              ran.add(cmd);
              // -C answers "no such rule", -A succeeds
              return new CommandResult(cmd.contains("-C") ? 1 : 0, "", "");
            });
    rules.install();
    List<List<String>> appended = ran.stream().filter(c -> c.contains("-A")).toList();
    assertFalse(appended.isEmpty());
    for (List<String> cmd : appended) {
      assertEquals("PREROUTING", cmd.get(cmd.indexOf("-A") + 1), cmd::toString);
      assertTrue(cmd.contains("-i"), cmd::toString);
      assertFalse(cmd.contains("OUTPUT"), cmd::toString);
    }
  }

  @Test
  void defaultsDetectTheBaseArnFromTheNodeTheServerShares() {
    Container server = serverPod("").getContainers().get(0);
    assertTrue(server.getArgs().contains("--role-base-arn-autodetect"), server.getArgs()::toString);
  }

  @Test
  void podNetworkIsAllowedWithAnExplicitBaseArnForIrsa() {
    PodSpec pod =
        serverPod(
            """
            server:
              hostNetwork: false
              roleBaseArn: "arn:aws:iam::123456789012:role/"
              nodeSelector: {}
              serviceAccount:
                annotations:
                  eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/kiam-server
            """);
    assertEquals(Boolean.FALSE, pod.getHostNetwork());
    assertNotEquals("ClusterFirstWithHostNet", pod.getDnsPolicy());
    assertFalse(pod.getContainers().get(0).getArgs().contains("--role-base-arn-autodetect"));
  }

  @Test
  void podNetworkWithoutABaseArnIsRefusedBecauseTheAgentWouldAnswerTheAutodetection() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> KiamChart.template("kiam", "server:\n  hostNetwork: false\n"));
    assertTrue(e.getMessage().contains("server.roleBaseArn"), e::getMessage);
    assertTrue(e.getMessage().contains("where-the-server-runs"), e::getMessage);
  }

  @Test
  void inTheHostNetworkTheServersPortsMustNotMeetTheAgentsOnTheSameNode() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                KiamChart.template(
                    "kiam",
                    "server:\n  metrics: {enabled: true, port: 9621}\n"
                        + "agent:\n  metrics: {enabled: true, port: 9621}\n"));
    assertTrue(e.getMessage().contains("must differ"), e::getMessage);
    assertThrows(
        IllegalStateException.class,
        () -> KiamChart.template("kiam", "server:\n  probes: {healthPort: 8181}\n"));
    // the defaults, and the same ports in the pod network, are fine
    serverPod("server:\n  metrics: {enabled: true}\nagent:\n  metrics: {enabled: true}\n");
    serverPod(
        "server:\n  hostNetwork: false\n  roleBaseArn: 'arn:aws:iam::123456789012:role/'\n"
            + "  probes: {healthPort: 8181}\n");
  }

  @Test
  void schemaRefusesANonBooleanHostNetwork() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> KiamChart.template("kiam", "server:\n  hostNetwork: \"yes\"\n"));
    assertTrue(e.getMessage().contains("/server/hostNetwork"), e::getMessage);
  }
}
