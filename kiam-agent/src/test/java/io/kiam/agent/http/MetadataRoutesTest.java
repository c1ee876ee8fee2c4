package io.kiam.agent.http;

import static io.kiam.agent.http.EmbeddedAgent.get;
import static io.kiam.agent.http.EmbeddedAgent.put;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kiam.agent.client.ServerFailure;
import io.kiam.agent.http.EmbeddedAgent.Answer;
import io.kiam.agent.imds.Reply;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every route of the agent, through the whole pipeline on an embedded channel. */
class MetadataRoutesTest {
  private static final String POD_IP = "10.1.2.3";
  private static final String CREDENTIALS = "/latest/meta-data/iam/security-credentials/";
  private static final String EXTENDED = "/latest/meta-data/iam/security-credentials-extended/";

  private final EmbeddedAgent agent = new EmbeddedAgent();

  private Answer getFromPod(String target, String... headers) {
    return get(agent.connect(POD_IP), target, headers);
  }

  @Test
  void listsThePodsRoleNameWithAndWithoutTrailingSlash() {
    agent.servers.pod(POD_IP, "shop", "web-1", "shop-reader");

    Answer slash = getFromPod(CREDENTIALS);
    Answer noSlash = getFromPod("/latest/meta-data/iam/security-credentials");

    assertEquals(200, slash.status());
    assertEquals("shop-reader", slash.body());
    assertTrue(slash.header("Content-Type").startsWith("text/plain"));
    assertEquals(200, noSlash.status());
    assertEquals("shop-reader", noSlash.body());
  }

  @Test
  void listsOnlyTheRoleNameWhenTheAnnotationIsAPathOrAnArn() {
    agent.servers.pod(POD_IP, "shop", "web-1", "teams/shop/shop-reader");
    agent.servers.pod("10.1.2.4", "shop", "web-2", "arn:aws:iam::111122223333:role/x/shop-writer");

    assertEquals("shop-reader", getFromPod(CREDENTIALS).body());
    assertEquals("shop-writer", get(agent.connect("10.1.2.4"), CREDENTIALS).body());
  }

  @Test
  void servesCredentialsJsonExactlyAsEc2WritesIt() {
    agent.servers.pod(POD_IP, "shop", "web-1", "shop-reader");

    Answer answer = getFromPod(CREDENTIALS + "shop-reader");

    assertEquals(200, answer.status());
    assertEquals(
        "{\n"
            + "  \"Code\" : \"Success\",\n"
            + "  \"LastUpdated\" : \"2026-01-02T15:04:05Z\",\n"
            + "  \"Type\" : \"AWS-HMAC\",\n"
            + "  \"AccessKeyId\" : \"ASIASHOPREADER\",\n"
            + "  \"SecretAccessKey\" : \""
            + FakeServerClient.SECRET
            + "\",\n"
            + "  \"Token\" : \""
            + FakeServerClient.SESSION_TOKEN
            + "\",\n"
            + "  \"Expiration\" : \"2026-01-02T16:04:05Z\"\n"
            + "}",
        answer.body());
    assertEquals(
        List.of("podRole " + POD_IP, "podCredentials " + POD_IP + " shop-reader"),
        agent.servers.calls());
  }

  @Test
  void extendedRouteAddsTheAccountId() throws Exception {
    agent.servers.pod(POD_IP, "shop", "web-1", "shop-reader");

    Answer name = getFromPod(EXTENDED);
    Answer answer = getFromPod(EXTENDED + "shop-reader");

    assertEquals("shop-reader", name.body());
    JsonNode json = new ObjectMapper().readTree(answer.body());
    assertEquals(FakeServerClient.ACCOUNT, json.get("AccountId").asText());
    assertEquals("Success", json.get("Code").asText());
    assertEquals(FakeServerClient.SESSION_TOKEN, json.get("Token").asText());
    assertEquals(8, json.size());
  }

  @Test
  void refusesAnotherRoleThanThePodsOwnWithoutAskingForCredentials() {
    agent.servers.pod(POD_IP, "shop", "web-1", "shop-reader");

    Answer answer = getFromPod(CREDENTIALS + "node-role");

    assertEquals(404, answer.status());
    assertEquals("pod shop/web-1 has role 'shop-reader', not 'node-role'\n", answer.body());
    assertEquals(List.of("podRole " + POD_IP), agent.servers.calls());
  }

  @Test
  void mapsFailureKindsNeverTheirText() {
    String[][] cases = {
      {"NO_SUCH_POD", "404", "no pod known with IP 10.9.0."},
      {"REFUSED", "403", "namespace 'shop' permits roles matching 'shop-.*'"},
      {"NO_ROLE", "404", "pods shop/a and shop/b both claim IP"},
      {"UNAVAILABLE", "503", "no kiam-server reachable"},
      {"STS_PENDING", "503", "kiam-server is waiting on STS"},
      {"MALFORMED", "400", "malformed IP"},
      {"FAILED", "500", "kiam-server failed: INTERNAL"},
    };
    int n = 0;
    for (String[] c : cases) {
      String ip = "10.9.0." + n++;
      ServerFailure.Kind kind = ServerFailure.Kind.valueOf(c[0]);
      // The explanation deliberately says something else: the kind alone decides.
      String explanation =
          kind == ServerFailure.Kind.NO_SUCH_POD
              ? "PERMISSION_DENIED would be 403"
              : kind == ServerFailure.Kind.FAILED ? "INTERNAL (detail)" : c[2] + " (detail)";
      agent.servers.fail(ip, kind, explanation);

      Answer answer = get(agent.connect(ip), CREDENTIALS);

      assertEquals(Integer.parseInt(c[1]), answer.status(), c[0]);
      assertTrue(answer.body().contains(c[2]), c[0] + ": " + answer.body());
      assertTrue(
          answer.body().endsWith("\n")
              && answer.body().indexOf('\n') == answer.body().length() - 1);
    }
  }

  @Test
  void policyRefusalOfCredentialsIs403WithTheServersExplanation() {
    agent.servers.pod(POD_IP, "shop", "web-1", "billing-admin");
    agent.servers.failCredentials(
        POD_IP,
        ServerFailure.Kind.REFUSED,
        "namespace 'shop' permits roles matching 'shop-.*'; pod asks for 'billing-admin'");

    Answer answer = getFromPod(CREDENTIALS + "billing-admin");

    assertEquals(403, answer.status());
    assertEquals(
        "namespace 'shop' permits roles matching 'shop-.*'; pod asks for 'billing-admin'\n",
        answer.body());
  }

  @Test
  void podWithoutRoleIs404SayingSo() {
    agent.servers.pod(POD_IP, "shop", "web-1", null);

    Answer answer = getFromPod(CREDENTIALS);

    assertEquals(404, answer.status());
    assertEquals("pod shop/web-1 has no role\n", answer.body());
  }

  @Test
  void anyVersionSegmentWorks() {
    agent.servers.pod(POD_IP, "shop", "web-1", "shop-reader");

    for (String version : List.of("latest", "2009-04-04", "2016-09-02", "1.0")) {
      Answer answer = getFromPod("/" + version + "/meta-data/iam/security-credentials/");
      assertEquals("shop-reader", answer.body(), version);
    }
    assertEquals(404, getFromPod("/v2/meta-data/iam/security-credentials/").status());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/latest/meta-data/iam/info",
        "/latest/meta-data/iam/info/",
        "/latest/meta-data/iam/",
        "/latest/meta-data/iam/anything",
        "/latest/meta-data/identity-credentials/ec2/security-credentials/ec2-instance",
        "/latest/meta-data/identity-credentials/ec2/info",
        "/latest/user-data",
        "/latest/user-data/",
        "/latest/dynamic/instance-identity/pkcs7",
        "/latest/dynamic/instance-identity/signature",
        "/latest/meta-data/iam/security-credentials/shop-reader/extra",
      })
  void neverServesTheNodesIdentityEvenWhenAllowListed(String path) {
    agent.allowRoute(".*").upstream(p -> CompletableFuture.failedFuture(new AssertionError(p)));
    agent.servers.pod(POD_IP, "shop", "web-1", "shop-reader");

    Answer answer = getFromPod(path);

    assertEquals(404, answer.status(), path);
    assertTrue(answer.body().startsWith("blocked by kiam: "), answer.body());
    assertEquals(1, agent.counter("kiam_agent_blocked_requests"));
  }

  @Test
  void otherPathsAreBlockedUnlessTheWholePathIsAllowListed() {
    agent.allowRoute("/latest/meta-data/placement/availability-zone");
    agent.upstream(
        path -> CompletableFuture.completedFuture(Reply.text("eu-west-1a from " + path)));

    Answer allowed = getFromPod("/latest/meta-data/placement/availability-zone");
    Answer longer = getFromPod("/latest/meta-data/placement/availability-zone-id");
    Answer other = getFromPod("/latest/meta-data/hostname");

    assertEquals(200, allowed.status());
    assertEquals("eu-west-1a from /latest/meta-data/placement/availability-zone", allowed.body());
    assertEquals(404, longer.status());
    assertEquals("blocked by kiam: path is not in --allow-route-regexp\n", longer.body());
    assertEquals(404, other.status());
  }

  @Test
  void proxiedPathIsTheNormalisedOne() {
    agent.allowRoute("/latest/meta-data/placement/.*");
    StringBuilder seen = new StringBuilder();
    agent.upstream(
        path -> {
          seen.append(path);
          return CompletableFuture.completedFuture(Reply.text("ok"));
        });

    getFromPod("//latest/./meta-data//placement/x/../region?x=1");

    assertEquals("/latest/meta-data/placement/region", seen.toString());
  }

  @Test
  void pingAnswersPongWithoutAskingAServer() {
    Answer answer = getFromPod("/ping");

    assertEquals(200, answer.status());
    assertEquals("pong", answer.body());
    assertTrue(agent.servers.calls().isEmpty());
  }

  @Test
  void healthIs200WhenAServerServesAndTheRuleIsInPlace() {
    Answer answer = getFromPod("/health");

    assertEquals(200, answer.status());
    assertEquals("ok", answer.body());
  }

  @Test
  void healthIs503WhenNoServerServes() {
    agent.servers.healthy(false);

    Answer answer = getFromPod("/health");

    assertEquals(503, answer.status());
    assertEquals("no kiam-server answers as serving\n", answer.body());
  }

  @Test
  void healthIs503WhenTheIptablesRuleIsMissing() {
    agent.interception(() -> Optional.of("DNAT rule for cali+ missing"));

    Answer answer = getFromPod("/health");

    assertEquals(503, answer.status());
    assertEquals("DNAT rule for cali+ missing\n", answer.body());
  }

  @Test
  void healthNamesEveryProblem() {
    agent.servers.healthy(false);
    agent.interception(
        () -> {
          throw new IllegalStateException("iptables: not found");
        });

    Answer answer = getFromPod("/health");

    assertEquals(503, answer.status());
    assertTrue(answer.body().startsWith("no kiam-server answers as serving; "), answer.body());
    assertTrue(answer.body().contains("iptables: not found"), answer.body());
  }

  @Test
  void countsRequestsByRouteAndStatus() {
    agent.servers.pod(POD_IP, "shop", "web-1", "shop-reader");

    getFromPod(CREDENTIALS);
    getFromPod(CREDENTIALS + "shop-reader");
    getFromPod(CREDENTIALS + "other");
    put(agent.connect(POD_IP), "/latest/api/token", "X-aws-ec2-metadata-token-ttl-seconds: 60");

    assertEquals(
        1, agent.counter("kiam_agent_http_requests", "route", "role_name", "status", "200"));
    assertEquals(
        1, agent.counter("kiam_agent_http_requests", "route", "credentials", "status", "200"));
    assertEquals(
        1, agent.counter("kiam_agent_http_requests", "route", "credentials", "status", "404"));
    assertEquals(1, agent.counter("kiam_agent_tokens_issued"));
    assertEquals(
        2, agent.histogramCount("kiam_agent_http_request_duration_seconds", "credentials"));
  }
}
