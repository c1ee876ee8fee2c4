package io.kiam.agent.http;

import static io.kiam.agent.http.EmbeddedAgent.request;
import static io.kiam.agent.http.EmbeddedAgent.send;
import static io.kiam.agent.http.EmbeddedAgent.single;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiam.agent.http.EmbeddedAgent.Answer;
import io.kiam.agent.imds.Reply;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The path tricks that once returned a node's credentials through another project's proxy
 * (REFERENCE section 4), and more: each must get the pod's own data, 400 or 404, and never reach
 * the upstream unless the normalised path is allow-listed.
 */
class PathTricksTest {
  private static final String POD_IP = "10.1.2.3";
  private static final String NODE_ROLE = "node-instance-role";

  private final EmbeddedAgent agent = new EmbeddedAgent();
  private final List<String> proxied = new ArrayList<>();

  PathTricksTest() {
    agent.servers.pod(POD_IP, "shop", "web-1", "shop-reader");
    // An operator who allow-listed generously: the tricks must still not reach the node's data.
    agent.allowRoute("/latest/meta-data/(placement|hostname).*");
    agent.upstream(
        path -> {
          proxied.add(path);
          return CompletableFuture.completedFuture(Reply.text("upstream " + path));
        });
  }

  private Answer raw(String target) {
    return single(send(agent.connect(POD_IP), request("GET", target)));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "//latest//meta-data/iam/security-credentials//",
        "/latest/meta-data/iam/security-credentials/.",
        "/latest/meta-data/iam/./security-credentials/",
        "/latest/meta-data/iam/x/../security-credentials/",
        "/latest/meta-data/iam/security-credentials",
        "/latest/meta-data/iam/security-credentials/?x=../../iam/info",
        "/latest/meta-data/iam/%73ecurity-credentials/",
      })
  void spellingsOfTheListingGetThePodsRole(String target) {
    Answer answer = raw(target);

    assertEquals(200, answer.status(), target);
    assertEquals("shop-reader", answer.body(), target);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "//latest//meta-data/iam/security-credentials//shop-reader",
        "/latest/meta-data/iam/security-credentials/./shop-reader",
        "/latest/meta-data/iam/security-credentials/%73hop-reader",
        "/latest/meta-data/iam/security-credentials/x/../shop-reader",
        "/latest/meta-data/iam/security-credentials/shop-reader?role=" + NODE_ROLE,
      })
  void spellingsOfTheCredentialsGetThePodsOwnCredentials(String target) {
    Answer answer = raw(target);

    assertEquals(200, answer.status(), target);
    assertTrue(answer.body().contains("\"AccessKeyId\" : \"ASIASHOPREADER\""), answer.body());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "/latest/meta-data/iam/security-credentials%2F" + NODE_ROLE + "|encoded slash",
        "/latest/meta-data/iam/security-credentials%2f" + NODE_ROLE + "|encoded slash",
        "/latest/meta-data/iam/security-credentials/%2E%2E%2Finfo|encoded slash",
        "/latest/meta-data/iam/security-credentials/%252F" + NODE_ROLE + "|double percent",
        "/latest/meta-data/iam/security-credentials/%25%32%46x|double percent",
        "/latest/meta-data/iam/security-credentials/%252e%252e/info|double percent",
        "/latest/meta-data/iam\\security-credentials\\" + NODE_ROLE + "|backslash",
        "/latest/meta-data/iam/security-credentials/..\\info|backslash",
        "/latest/meta-data/iam%5Cinfo|encoded backslash",
        "/latest/meta-data/iam/security-credentials/%00|control",
        "/latest/meta-data/iam/info%00.txt|control",
        "/latest/meta-data/iam/security-credentials/%0d%0aX-Injected:1|control",
        "/latest/meta-data/iam/%|percent-encoding",
        "/latest/meta-data/iam/%zz|percent-encoding",
        "/latest/meta-data/iam/%c3%a9|control or reserved",
        "/../latest/meta-data/iam/info|climbs above the root",
        "/latest/../../meta-data/iam/info|climbs above the root",
        "/latest/meta-data/../../../iam/info|climbs above the root",
        "/%2e%2e/latest/meta-data/iam/info|climbs above the root",
        "/latest/meta-data/iam/info#frag|fragment",
        "http://169.254.169.254/latest/meta-data/iam/info|starting with '/'",
        "*|starting with '/'",
      })
  void trickyEncodingsAre400(String target, String why) {
    Answer answer = raw(target);

    assertEquals(400, answer.status(), target);
    assertTrue(answer.body().contains(why), target + " -> " + answer.body());
    assertTrue(proxied.isEmpty(), "nothing may reach the upstream");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/latest/meta-data/iam/security-credentials/" + NODE_ROLE,
        "/latest/meta-data/iam/security-credentials//" + NODE_ROLE,
        "/latest/meta-data/iam/security-credentials-extended/" + NODE_ROLE,
        "/latest/meta-data/placement/../iam/info",
        "/latest/meta-data/placement/../iam/security-credentials/../info",
        "/latest/meta-data/hostname/../../user-data",
        "/latest/meta-data/placement/%2e%2e/iam/info",
        "/latest/meta-data/placement/.%2e/identity-credentials/ec2/security-credentials/ec2-instance",
        "/latest/meta-data/./iam/info",
        "//latest/meta-data//iam/info",
        "/latest/meta-data/IAM/info",
        "/latest/meta-data/iam/info/",
        "/latest/dynamic/instance-identity/pkcs7",
        "/latest/meta-data/iam/security-credentials/shop-reader/",
        "/latest/meta-data/iam/security-credentials/shop-reader/..%2F",
        "/latest/meta-data/placement/../../../latest/user-data",
        "/latest/meta-data/iam/security-credentials%2e/",
        "/latest/meta-data/iam/security-credentials/shop-reader%2e",
      })
  void pathsToTheNodesDataAre404OrWorseNeverProxied(String target) {
    Answer answer = raw(target);

    assertTrue(answer.status() == 404 || answer.status() == 400, target + " -> " + answer.status());
    assertFalse(answer.body().contains("upstream"), answer.body());
    assertTrue(proxied.isEmpty(), target + " reached the upstream as " + proxied);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/latest/meta-data/placement/availability-zone",
        "/latest/meta-data/iam/../placement/availability-zone",
        "//latest/meta-data/./placement//availability-zone",
      })
  void allowListedPathsReachTheUpstreamOnlyInTheirNormalForm(String target) {
    Answer answer = raw(target);

    assertEquals(200, answer.status(), target);
    assertEquals(List.of("/latest/meta-data/placement/availability-zone"), proxied);
  }
}
