package io.kiam.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiam.e2e.cluster.PodSpec;
import io.kiam.e2e.metadata.NodeIdentity;
import io.kiam.e2e.node.KiamNode;
import io.kiam.e2e.node.NodePod;
import io.kiam.e2e.node.TestkitSts;
import io.kiam.e2e.probe.HttpResult;
import io.kiam.e2e.probe.SdkResult;
import io.kiam.testkit.sts.AssumeRoleCall;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The chart's default placement: kiam-server in the node's host network on a node whose agent has
 * its DNAT rule. The server's own metadata calls (the SDK's default chain, base-ARN autodetection)
 * start on the node, so the rule (pod interfaces only) never catches them and they reach the node's
 * metadata service; a pod's identical calls are captured by the agent. STS knows only the node's
 * role as a caller, so every pod credential proves the server used it.
 */
@ExtendWith(NodeExtension.class)
@ServersInNode
@StsRoles({"billing-invoicer"})
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ServerInNodeIT {
  private static final Duration SETTLE = Duration.ofSeconds(60);

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
  void theServerGetsItsOwnCredentialsFromTheNodeAndThePodGetsItsRole() throws IOException {
    checks.awaitRole(app, "billing-invoicer", SETTLE);
    SdkResult sdk = checks.sdk(app);
    assertTrue(sdk.succeeded(), sdk::toString);
    assertTrue(sdk.arn().contains(":assumed-role/billing-invoicer/"), sdk::toString);
    // the base ARN came from the node's instance profile: the role is in the node's account
    assertEquals(NodeIdentity.ACCOUNT_ID, sdk.account(), sdk::toString);

    List<AssumeRoleCall> calls =
        ((TestkitSts) node.sts()).endpoint().calls().assumeRoleCalls("billing-invoicer");
    assertFalse(calls.isEmpty(), "the server never asked STS");
    for (AssumeRoleCall call : calls) {
      assertEquals(NodeIdentity.CALLER_ARN, call.callerArn(), call::toString);
    }

    // the server's calls reached the node's metadata service: autodetect read the instance
    // profile, the default chain read the node role's credentials
    String standIn = Files.readString(log("metadata-stand-in"));
    assertTrue(standIn.contains("/latest/meta-data/iam/info"), standIn);
    assertTrue(
        standIn.contains("/meta-data/iam/security-credentials/" + NodeIdentity.ROLE_NAME), standIn);
  }

  @Test
  void aPodsSameCallsAreCapturedNeverTheNodes() {
    checks.awaitRole(app, "billing-invoicer", SETTLE);
    // PodChecks fails on any trace of the node's identity in the answers
    List<HttpResult> results =
        checks.http(
            app,
            "/latest/meta-data/iam/info",
            PodChecks.CREDENTIALS,
            PodChecks.CREDENTIALS + NodeIdentity.ROLE_NAME);
    assertEquals("billing-invoicer", results.get(2).text().strip(), results::toString);
    assertFalse(results.get(3).ok(), () -> "the node's role was served: " + results);
  }

  private static Path log(String name) {
    return node.options().workDir().resolve("logs").resolve(name + ".log");
  }
}
