package io.kiam.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.grpc.Status;
import io.kiam.agent.testing.FakeKiamServer;
import io.kiam.agent.testing.ProgrammableBackend;
import io.kiam.testkit.pki.TestPki;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real agent on loopback (Netty on a free port) against a real gRPC server with mutual TLS and a
 * programmable backend: the whole path a pod's request takes, minus the iptables hop.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AgentLoopbackIT {
  private static final String CREDENTIALS = "/latest/meta-data/iam/security-credentials/";
  private static final String POD_IP = "127.0.0.1";

  @TempDir static Path dir;
  private static TestPki pki;
  private static ProgrammableBackend backend;
  private static FakeKiamServer server;
  private static LoopbackAgent agent;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();

  @BeforeAll
  static void start() {
    pki = TestPki.create(dir);
    backend = new ProgrammableBackend();
    server = FakeKiamServer.start(pki, backend);
    agent = LoopbackAgent.start(server, LoopbackAgent.Options.defaults());
    agent.awaitHealthy();
  }

  @AfterAll
  static void stop() {
    agent.close();
    server.close();
  }

  @BeforeEach
  void reset() {
    backend.failAll(null).delay(Duration.ZERO).serving(true).removePod(POD_IP);
    backend.pod(POD_IP, "shop", "web-1", "shop-reader");
  }

  private HttpResponse<String> get(LoopbackAgent target, String path, String... headers)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(target.url() + path)).timeout(Duration.ofSeconds(5));
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return http.send(request.GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void servesThePodsRoleAndCredentialsOverRealGrpcWithMutualTls() throws Exception {
    long start = System.nanoTime();
    HttpResponse<String> name = get(agent, CREDENTIALS);
    long firstMillis = (System.nanoTime() - start) / 1_000_000;
    HttpResponse<String> credentials = get(agent, CREDENTIALS + "shop-reader");

    assertEquals(200, name.statusCode());
    assertEquals("shop-reader", name.body());
    assertEquals(200, credentials.statusCode());
    JsonNode json = new ObjectMapper().readTree(credentials.body());
    assertEquals("Success", json.get("Code").asText());
    assertEquals("AWS-HMAC", json.get("Type").asText());
    assertEquals("secret-for-shop-reader", json.get("SecretAccessKey").asText());
    assertEquals("token-for-shop-reader", json.get("Token").asText());
    assertTrue(
        json.get("Expiration").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"));
    assertTrue(server.calls("GetPodCredentials") >= 1);
    System.out.println("first request over a fresh agent: " + firstMillis + " ms");
  }

  @Test
  void aNewAgentWithANodeNameAgainstAServerWithoutWatchNodeAsksAsBefore() throws Exception {
    int rolesBefore = server.calls("GetPodRole");
    int credentialsBefore = server.calls("GetPodCredentials");
    try (LoopbackAgent onNode =
        LoopbackAgent.start(server, LoopbackAgent.Options.defaults().onNode("node-1"))) {
      onNode.awaitHealthy();

      HttpResponse<String> name = get(onNode, CREDENTIALS);
      HttpResponse<String> credentials = get(onNode, CREDENTIALS + "shop-reader");

      assertEquals(200, name.statusCode());
      assertEquals("shop-reader", name.body());
      assertEquals(200, credentials.statusCode());
      assertTrue(credentials.body().contains("secret-for-shop-reader"));
      assertTrue(server.calls("WatchNode") >= 1, "the agent tried the stream first");
      assertEquals(2, server.calls("GetPodRole") - rolesBefore, "listing, then the role check");
      assertEquals(1, server.calls("GetPodCredentials") - credentialsBefore);
    }
  }

  @Test
  void policyRefusalTravelsAs403WithTheServersExplanation() throws Exception {
    backend.removePod(POD_IP).pod(POD_IP, "shop", "web-1", "billing-admin");

    HttpResponse<String> other = get(agent, CREDENTIALS + "shop-reader");
    backend.failAll(Status.Code.PERMISSION_DENIED);
    HttpResponse<String> denied = get(agent, CREDENTIALS + "billing-admin");

    assertEquals(404, other.statusCode());
    assertEquals("pod shop/web-1 has role 'billing-admin', not 'shop-reader'\n", other.body());
    assertEquals(403, denied.statusCode());
    assertEquals("forced by test: PERMISSION_DENIED\n", denied.body());
  }

  @Test
  void unknownPodIs404AndPodWithoutRoleIs404() throws Exception {
    backend.removePod(POD_IP);
    HttpResponse<String> unknown = get(agent, CREDENTIALS);
    backend.pod(POD_IP, "shop", "job-1", null);
    HttpResponse<String> noRole = get(agent, CREDENTIALS);

    assertEquals(404, unknown.statusCode());
    assertEquals("no pod known with IP 127.0.0.1\n", unknown.body());
    assertEquals(404, noRole.statusCode());
    assertTrue(noRole.body().contains("has no iam.amazonaws.com/role"), noRole.body());
  }

  @Test
  void aServerTooSlowForTheSdksBudgetGets503WithinIt() throws Exception {
    backend.delay(Duration.ofSeconds(3));

    HttpResponse<String> answer = get(agent, CREDENTIALS);

    // The server would answer after 3 s with credentials: a 503 means the agent's own deadline
    // ended the wait first. How long that took is a benchmark's business, not this test's.
    assertEquals(503, answer.statusCode());
    assertTrue(answer.body().startsWith("no kiam-server reachable"), answer.body());
  }

  @Test
  void noServerAtAllIs503AndNotHealthy() throws Exception {
    int closedPort;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = probe.getLocalPort();
    }
    try (LoopbackAgent orphan =
        LoopbackAgent.startWithoutServers("127.0.0.1:" + closedPort, server.clientTls())) {
      HttpResponse<String> answer = get(orphan, CREDENTIALS);
      HttpResponse<String> health = get(orphan, "/health");
      HttpResponse<String> ping = get(orphan, "/ping");

      assertEquals(503, answer.statusCode());
      assertTrue(answer.body().startsWith("no kiam-server reachable"), answer.body());
      assertEquals(503, health.statusCode());
      assertEquals(200, ping.statusCode());
    }
  }

  @Test
  void healthFollowsTheServersReadiness() throws Exception {
    assertEquals(200, get(agent, "/health").statusCode());

    backend.serving(false);
    // The answer is reused for a second: ask until the agent has looked again.
    HttpResponse<String> notServing = get(agent, "/health");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (notServing.statusCode() == 200 && System.nanoTime() < deadline) {
      Thread.sleep(50);
      notServing = get(agent, "/health");
    }

    assertEquals(503, notServing.statusCode());
    assertEquals("no kiam-server answers as serving\n", notServing.body());
  }

  @Test
  void keepAliveConnectionServesManyRequests() throws Exception {
    int before = server.calls("GetPodRole");
    for (int i = 0; i < 50; i++) {
      assertEquals("shop-reader", get(agent, CREDENTIALS).body());
    }
    assertEquals(before + 50, server.calls("GetPodRole"), "one fresh server call per request");
  }

  @Test
  void allowListedPathsAreProxiedWithoutThePodsHeaders() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    HttpServer imds =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    imds.createContext(
        "/",
        exchange -> {
          seen.add(
              exchange.getRequestMethod()
                  + " "
                  + exchange.getRequestURI()
                  + " xff="
                  + exchange.getRequestHeaders().getFirst("X-Forwarded-For"));
          byte[] body =
              (exchange.getRequestMethod().equals("PUT") ? "UP-TOKEN" : "eu-west-1a")
                  .getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    imds.start();
    URI upstream = URI.create("http://127.0.0.1:" + imds.getAddress().getPort());
    // Warm the stand-in, so its first answer does not miss the agent's 400 ms upstream budget.
    http.send(HttpRequest.newBuilder(upstream).build(), HttpResponse.BodyHandlers.discarding());
    seen.clear();
    try (LoopbackAgent proxying =
        LoopbackAgent.start(
            server,
            LoopbackAgent.Options.defaults()
                .proxying("/latest/meta-data/placement/availability-zone", upstream))) {
      proxying.awaitHealthy();
      HttpResponse<String> zone =
          get(
              proxying,
              "/latest/meta-data/placement/availability-zone",
              "X-Forwarded-For",
              "10.0.0.1");
      HttpResponse<String> info = get(proxying, "/latest/meta-data/iam/info");

      assertEquals(200, zone.statusCode());
      assertEquals("eu-west-1a", zone.body());
      assertEquals(404, info.statusCode());
      assertEquals(
          List.of(
              "PUT /latest/api/token xff=null",
              "GET /latest/meta-data/placement/availability-zone xff=null"),
          seen);
      assertFalse(seen.stream().anyMatch(s -> s.contains("iam")));
    } finally {
      imds.stop(0);
    }
  }
}
