package io.kiam.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Cases 1-5 and 8 of issue 5 on one node: pods as network namespaces, the agent's real iptables
 * DNAT, the real daemons over mutual TLS, and the AWS SDK for Java v2 in the pod.
 */
@ExtendWith(NodeExtension.class)
@StsRoles({
  "shop-checkout",
  "admin",
  "vault-reader",
  "shop-before",
  "shop-after",
  "shop-old",
  "shop-new"
})
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PodCredentialsIT {
  private static final Duration SETTLE = Duration.ofSeconds(30);

  private static KiamNode node;
  private static PodChecks checks;
  private static NodePod checkout;
  private static NodePod greedy;
  private static NodePod plain;
  private static NodePod locked;

  @BeforeAll
  static void pods(KiamNode started) {
    node = started;
    checks = new PodChecks(node);
    node.putNamespace("shop", "shop-.*");
    node.putNamespace("vault", null);
    checkout = node.addPod(PodSpec.of("shop", "checkout", "shop-checkout"));
    greedy = node.addPod(PodSpec.of("shop", "greedy", "admin"));
    plain = node.addPod(PodSpec.of("shop", "plain", null));
    locked = node.addPod(PodSpec.of("vault", "locked", "vault-reader"));
  }

  @Test
  void controlTheNodesOwnMetadataIsLiveSoALeakWouldShow() {
    // from the node itself (not through the pods' DNAT) the stand-in hands out the node's identity:
    // the "no leak" checks of every case are not vacuous
    List<HttpResult> own =
        node.probes()
            .http(
                node.network().names().nodeNamespace(),
                PodChecks.METADATA,
                80,
                List.of(
                    "--token",
                    PodChecks.CREDENTIALS + NodeIdentity.ROLE_NAME,
                    "/latest/meta-data/iam/info"));
    assertTrue(own.get(1).text().contains(NodeIdentity.ACCESS_KEY_ID), own::toString);
    assertTrue(own.get(2).text().contains(NodeIdentity.LEAK_MARKER), own::toString);
    // and the machine's own namespace has no route of ours for it
    String machineRoutes = Commands.run("ip", "route", "show", "table", "all");
    assertFalse(machineRoutes.contains(PodChecks.METADATA), machineRoutes);
  }

  @Test
  void case1AllowedPodGetsItsRoleThroughTheSdkDefaultChainAndSeesItsAssumedRoleArn() {
    checks.awaitRole(checkout, "shop-checkout", SETTLE);

    SdkResult result = checks.sdk(checkout);

    assertNull(result.error(), () -> "SDK probe failed: " + result.raw());
    assertTrue(
        result
            .arn()
            .startsWith("arn:aws:sts::" + node.sts().accountId() + ":assumed-role/shop-checkout/"),
        () -> "unexpected caller identity: " + result.arn());
    assertTrue(result.accessKeyId().startsWith("ASIA"), result::raw);
  }

  @Test
  void case2ForbiddenRoleAndMissingAnnotationGetNoCredentials() {
    checks.awaitRole(checkout, "shop-checkout", SETTLE); // the server knows this node's pods

    // the three pods are independent: probe them at once (each probe is its own JVM)
    List<CompletableFuture<Void>> checksOfPods =
        List.of(greedy, plain, locked).stream()
            .map(pod -> CompletableFuture.runAsync(() -> assertNoCredentials(pod)))
            .toList();
    for (CompletableFuture<Void> check : checksOfPods) {
      try {
        check.join();
      } catch (CompletionException e) {
        if (e.getCause() instanceof AssertionError failure) {
          throw failure;
        }
        throw e;
      }
    }
  }

  private static void assertNoCredentials(NodePod pod) {
    // the listing may name the annotation (GetPodRole reports it as written, as kiam did); the
    // credentials themselves must be refused
    List<HttpResult> raw =
        checks.http(pod, PodChecks.CREDENTIALS, PodChecks.CREDENTIALS + pod.spec().role());
    HttpResult credentials = raw.get(2);
    assertFalse(credentials.ok(), () -> pod.name() + " got an answer: " + credentials);
    assertFalse(raw.toString().contains("AccessKeyId"), () -> pod.name() + ": " + raw);
    SdkResult sdk = checks.sdk(pod);
    assertNull(sdk.accessKeyId(), () -> pod.name() + " got credentials: " + sdk.raw());
    assertNotNull(sdk.error(), sdk::raw);
  }

  @Test
  void case3AfterTheAnnotationChangesThePodGetsTheNewRoleAndNeverTheOldOneAgain() {
    NodePod pod = node.addPod(PodSpec.of("shop", "switcher", "shop-before"));
    checks.awaitRole(pod, "shop-before", SETTLE);

    node.setRole(pod, "shop-after");
    checks.awaitRole(pod, "shop-after", SETTLE);
    // once the new role has been seen, the old one must never come back
    List<HttpResult> watched =
        checks.watch(pod, 16, 250, PodChecks.CREDENTIALS, PodChecks.CREDENTIALS + "shop-before");

    for (HttpResult result : watched) {
      if (result.request().equals("GET " + PodChecks.CREDENTIALS)) {
        assertEquals("shop-after", result.text().strip(), () -> "listing changed back: " + watched);
      } else if (result.request().startsWith("GET")) {
        assertFalse(result.ok(), () -> "the old role was served after the change: " + result);
      }
    }
    SdkResult sdk = checks.sdk(pod);
    assertNull(sdk.error(), sdk::raw);
    assertTrue(sdk.arn().contains(":assumed-role/shop-after/"), sdk::raw);
  }

  @Test
  void case4ANewPodOnADeletedPodsIpGetsOnlyItsOwnRole() {
    NodePod old = node.addPod(PodSpec.of("shop", "old-tenant", "shop-old"));
    checks.awaitRole(old, "shop-old", SETTLE);
    String ip = old.ip();

    node.removePod(old);
    NodePod fresh = node.addPod(PodSpec.of("shop", "new-tenant", "shop-new"), ip);
    List<HttpResult> watched = checks.watch(fresh, 16, 250, PodChecks.CREDENTIALS);

    assertEquals(ip, fresh.ip());
    for (HttpResult result : watched) {
      assertFalse(result.text().contains("shop-old"), () -> "new pod saw the old role: " + watched);
    }
    checks.awaitRole(fresh, "shop-new", SETTLE);
    HttpResult stale = checks.http(fresh, PodChecks.CREDENTIALS + "shop-old").get(1);
    assertFalse(stale.ok(), () -> "the old pod's role served to the new pod: " + stale);
    SdkResult sdk = checks.sdk(fresh);
    assertNull(sdk.error(), sdk::raw);
    assertTrue(sdk.arn().contains(":assumed-role/shop-new/"), sdk::raw);
  }

  @Test
  void case5AHostNetworkPodGetsNoPodRole() {
    checks.awaitRole(checkout, "shop-checkout", SETTLE);
    NodePod host = node.addPod(new PodSpec("shop", "host-agent", "shop-checkout", true));
    PodChecks.sleep(1000); // give the server's informer time to see the hostNetwork pod

    // a hostNetwork pod's traffic comes from the node's own address: ask the agent directly
    List<HttpResult> raw =
        node.probes()
            .http(
                host.netns(),
                node.nodeAddress(),
                8181,
                List.of("--token", PodChecks.CREDENTIALS, PodChecks.CREDENTIALS + "shop-checkout"));

    PodChecks.assertNoNodeLeak(raw.toString());
    for (HttpResult result : raw.subList(1, raw.size())) {
      assertFalse(result.ok(), () -> "hostNetwork pod got a role: " + raw);
      assertFalse(result.text().contains("AccessKeyId"), raw::toString);
    }
    assertEquals("shop-checkout", checks.listedRole(checkout), "ordinary pods keep working");
  }

  @Test
  void case8UserDataIamInfoAndPathTricksReturnNothingOfTheNodes() {
    checks.awaitRole(checkout, "shop-checkout", SETTLE);
    String nodeRole = NodeIdentity.ROLE_NAME;

    List<HttpResult> results =
        checks.http(
            checkout,
            "/latest/user-data",
            "/latest/meta-data/iam/info",
            "/latest/meta-data/identity-credentials/ec2/security-credentials/ec2-instance",
            "/2009-04-04/meta-data/iam/security-credentials/" + nodeRole,
            "//latest//meta-data/iam/security-credentials//" + nodeRole,
            "/latest/meta-data/iam/security-credentials/shop-checkout/../" + nodeRole,
            "/latest/meta-data/iam/security-credentials/..%2F..%2Fuser-data",
            "/latest/meta-data/iam/security-credentials/%2E%2E/%2E%2E/iam/info",
            "/latest/meta-data/iam/security-credentials/%252E%252E%252F%252E%252E%252Fiam%252Finfo",
            "/latest/meta-data/iam\\security-credentials\\" + nodeRole,
            "/latest/meta-data/./iam/../iam/info",
            "/latest%2Fuser-data",
            "/latest/meta-data/iam/security-credentials-extended/" + nodeRole);

    // none of these names the pod's own role: no credentials of any kind may come back
    for (HttpResult result : results.subList(1, results.size())) {
      PodChecks.assertNoNodeLeak(result.toString());
      assertFalse(result.text().contains("AccessKeyId"), () -> "credentials for: " + result);
    }
    assertEquals("shop-checkout", checks.listedRole(checkout));
  }
}
