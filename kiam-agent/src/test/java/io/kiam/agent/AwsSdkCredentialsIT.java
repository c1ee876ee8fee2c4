package io.kiam.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.kiam.agent.testing.FakeKiamServer;
import io.kiam.agent.testing.ProgrammableBackend;
import io.kiam.testkit.pki.TestPki;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.InstanceProfileCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.profiles.ProfileFile;

/**
 * The AWS SDK for Java v2's own {@link InstanceProfileCredentialsProvider}, pointed at a real agent
 * on loopback, gets the pod's credentials: with IMDSv2 (its default), with IMDSv1 when the token
 * path is unavailable, with v1 disabled in the SDK, and against --require-imdsv2.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AwsSdkCredentialsIT {
  @TempDir static Path dir;
  private static FakeKiamServer server;
  private static LoopbackAgent agent;
  private static LoopbackAgent strictAgent;

  @BeforeAll
  static void start() {
    ProgrammableBackend backend = new ProgrammableBackend();
    // The SDK connects from loopback, so loopback is the pod.
    backend.pod("127.0.0.1", "shop", "web-1", "shop-reader");
    server = FakeKiamServer.start(TestPki.create(dir), backend);
    agent = LoopbackAgent.start(server, LoopbackAgent.Options.defaults());
    strictAgent = LoopbackAgent.start(server, LoopbackAgent.Options.defaults().requiringImdsv2());
    agent.awaitHealthy();
    strictAgent.awaitHealthy();
  }

  @AfterAll
  static void stop() {
    agent.close();
    strictAgent.close();
    server.close();
  }

  private static ProfileFile profile(String settings) {
    return ProfileFile.builder()
        .content("[default]\n" + settings + "\n")
        .type(ProfileFile.Type.CONFIGURATION)
        .build();
  }

  private static AwsCredentials resolve(String endpoint, String profileSettings) {
    try (InstanceProfileCredentialsProvider provider =
        InstanceProfileCredentialsProvider.builder()
            .endpoint(endpoint)
            .profileFile(profile(profileSettings))
            .profileName("default")
            .asyncCredentialUpdateEnabled(false)
            .build()) {
      return provider.resolveCredentials();
    }
  }

  private static void assertPodsCredentials(AwsCredentials credentials) {
    AwsSessionCredentials session = assertInstanceOf(AwsSessionCredentials.class, credentials);
    assertTrue(session.accessKeyId().startsWith("ASIA"), session.accessKeyId());
    assertEquals("secret-for-shop-reader", session.secretAccessKey());
    assertEquals("token-for-shop-reader", session.sessionToken());
    Instant expiry = session.expirationTime().orElseThrow();
    assertTrue(expiry.isAfter(Instant.now().plus(Duration.ofMinutes(50))), expiry.toString());
  }

  @Test
  void imdsv2IsTheSdksDefaultAndWorks() {
    double tokensBefore = agent.counter("kiam_agent_tokens_issued");

    AwsCredentials credentials = resolve(agent.url(), "");

    assertPodsCredentials(credentials);
    assertTrue(agent.counter("kiam_agent_tokens_issued") > tokensBefore, "the SDK used a token");
  }

  @Test
  void sdkWithV1DisabledStillGetsCredentials() {
    assertPodsCredentials(resolve(agent.url(), "ec2_metadata_v1_disabled = true"));
  }

  @Test
  void imdsv1WorksWhenTheTokenPathIsUnavailable() throws Exception {
    try (TokenBlockingRelay relay = new TokenBlockingRelay(agent.url())) {
      AwsCredentials credentials = resolve(relay.url(), "");

      assertPodsCredentials(credentials);
      assertTrue(
          relay.forwarded.stream().noneMatch(r -> r.contains("token=yes")),
          relay.forwarded.toString());
      assertTrue(relay.forwarded.size() >= 2, relay.forwarded.toString());
    }
  }

  @Test
  void requireImdsv2ServesV2Clients() {
    assertPodsCredentials(resolve(strictAgent.url(), ""));
  }

  @Test
  void requireImdsv2RefusesV1OnlyClientsWith401() throws Exception {
    double refusedBefore =
        strictAgent.counter("kiam_agent_http_requests", "route", "role_name", "status", "401");
    try (TokenBlockingRelay relay = new TokenBlockingRelay(strictAgent.url())) {
      assertThrows(SdkClientException.class, () -> resolve(relay.url(), ""));
    }
    assertTrue(
        strictAgent.counter("kiam_agent_http_requests", "route", "role_name", "status", "401")
            > refusedBefore);
  }

  /**
   * Stands between the SDK and the agent like a metadata path without IMDSv2: PUT /latest/api/token
   * gets 403 (so the SDK falls back to v1), everything else is relayed to the agent.
   */
  private static final class TokenBlockingRelay implements AutoCloseable {
    final List<String> forwarded = new CopyOnWriteArrayList<>();
    private final HttpServer http;
    private final HttpClient client = HttpClient.newHttpClient();

    TokenBlockingRelay(String agentUrl) throws IOException {
      http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      http.createContext("/", exchange -> relay(exchange, agentUrl));
      http.start();
    }

    private void relay(HttpExchange exchange, String agentUrl) throws IOException {
      int status;
      byte[] body;
      if (exchange.getRequestMethod().equals("PUT")) {
        status = 403;
        body = new byte[0];
      } else {
        String token = exchange.getRequestHeaders().getFirst("X-aws-ec2-metadata-token");
        forwarded.add(exchange.getRequestURI() + " token=" + (token == null ? "no" : "yes"));
        HttpRequest.Builder request =
            HttpRequest.newBuilder(URI.create(agentUrl + exchange.getRequestURI()));
        if (token != null) {
          request.header("X-aws-ec2-metadata-token", token);
        }
        try {
          HttpResponse<byte[]> answer =
              client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
          status = answer.statusCode();
          body = answer.body();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException(e);
        }
      }
      exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }

    String url() {
      return "http://127.0.0.1:" + http.getAddress().getPort();
    }

    @Override
    public void close() {
      http.stop(0);
    }
  }
}
