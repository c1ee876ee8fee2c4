package io.kiam.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiam.e2e.cluster.PodSpec;
import io.kiam.e2e.metadata.NodeIdentity;
import io.kiam.e2e.net.Commands;
import io.kiam.e2e.node.KiamNode;
import io.kiam.e2e.node.NodePod;
import io.kiam.e2e.probe.HttpResult;
import io.kiam.e2e.probe.SdkResult;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Cases 6 and 7 of issue 5: the agent and the server restart under a running node. */
@ExtendWith(NodeExtension.class)
@StsRoles({"billing-invoicer", "billing-fresh"})
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DaemonRestartIT {
  private static final Duration SETTLE = Duration.ofSeconds(30);

  private static KiamNode node;
  private static PodChecks checks;
  private static NodePod app;

  @BeforeAll
  static void pods(KiamNode started) {
    node = started;
    checks = new PodChecks(node);
    node.putNamespace("billing", "billing-.*");
    app = node.addPod(PodSpec.of("billing", "invoicer", "billing-invoicer"));
  }

  @Test
  void case6WhileTheAgentIsDownNoPodReachesTheNodesCredentialsAndTheRuleStays() {
    checks.awaitRole(app, "billing-invoicer", SETTLE);
    String rulesBefore = natRules();
    assertTrue(rulesBefore.contains("169.254.169.254"), () -> "no DNAT rule: " + rulesBefore);

    node.stopAgent();
    try {
      assertEquals(rulesBefore, natRules(), "the agent removed or changed its rule on stop");
      List<HttpResult> down =
          checks.http(
              app,
              PodChecks.CREDENTIALS,
              PodChecks.CREDENTIALS + NodeIdentity.ROLE_NAME,
              "/latest/meta-data/iam/info",
              "/latest/user-data");
      for (HttpResult result : down) {
        assertNull(result.status(), () -> "something answered while the agent was down: " + result);
      }
      SdkResult sdk = checks.sdk(app);
      assertNull(sdk.accessKeyId(), sdk::raw);
    } finally {
      node.startAgent();
    }
    node.awaitAgent();

    checks.awaitRole(app, "billing-invoicer", SETTLE);
    SdkResult after = checks.sdk(app);
    assertNull(after.error(), after::raw);
    assertTrue(after.arn().contains(":assumed-role/billing-invoicer/"), after::raw);
  }

  @Test
  void
      case7WhileTheServerIsDownKnownPodsKeepTheirRoleNewPodsGet503AndAllRecoverWithoutAnAgentRestart() {
    checks.awaitRole(app, "billing-invoicer", SETTLE);
    long agentPid = node.agent().pid();

    node.stopServer();
    NodePod fresh;
    try {
      // The agent knows app from the node stream: memory answers it for --disconnected-grace.
      SdkResult known = checks.sdk(app);
      assertNull(known.error(), known::raw);
      assertTrue(known.arn().contains(":assumed-role/billing-invoicer/"), known::raw);
      // A pod that starts during the outage is a new IP: 503 at once, never the node's key.
      fresh = node.addPod(PodSpec.of("billing", "fresh", "billing-fresh"));
      List<HttpResult> down =
          checks.http(fresh, PodChecks.CREDENTIALS, PodChecks.CREDENTIALS + "billing-fresh");
      // The first answer is the IMDSv2 token, which the agent issues without a server.
      for (HttpResult result : down.subList(1, down.size())) {
        assertEquals(
            Integer.valueOf(503),
            result.status(),
            () -> "a new pod during the outage must get 503: " + result);
      }
      SdkResult sdk = checks.sdk(fresh);
      assertNull(sdk.accessKeyId(), sdk::raw);
    } finally {
      node.startServer();
    }
    node.awaitServer();

    checks.awaitRole(fresh, "billing-fresh", SETTLE);
    SdkResult after = checks.sdk(fresh);
    assertNull(after.error(), after::raw);
    assertTrue(after.arn().contains(":assumed-role/billing-fresh/"), after::raw);
    assertEquals(agentPid, node.agent().pid(), "the agent was restarted");
    assertTrue(node.agent().isAlive());
  }

  private static String natRules() {
    return Commands.run(
        "ip",
        "netns",
        "exec",
        node.network().names().nodeNamespace(),
        "iptables",
        "-t",
        "nat",
        "-S");
  }
}
