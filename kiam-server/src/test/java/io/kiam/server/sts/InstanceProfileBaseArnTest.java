package io.kiam.server.sts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Against a loopback stand-in for the instance metadata service, never the real one. */
@Timeout(10)
class InstanceProfileBaseArnTest {
  private static final String TOKEN = "AQAEAtoken==";

  private HttpServer imds;
  private final List<String> seen = new CopyOnWriteArrayList<>();

  /** How the stand-in behaves. */
  private enum Mode {
    V2_REQUIRED,
    V1_ONLY,
    NO_PROFILE,
    /** The first iam/info request is never answered, as by a node still busy booting. */
    SILENT_FIRST
  }

  private final java.util.concurrent.atomic.AtomicInteger infoRequests =
      new java.util.concurrent.atomic.AtomicInteger();

  private URI start(Mode mode, String instanceProfileArn) throws IOException {
    imds = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
    imds.createContext("/", exchange -> answer(exchange, mode, instanceProfileArn));
    imds.start();
    return URI.create("http://127.0.0.1:" + imds.getAddress().getPort() + "/");
  }

  private void answer(HttpExchange exchange, Mode mode, String arn) throws IOException {
    String method = exchange.getRequestMethod();
    String path = exchange.getRequestURI().getPath();
    String token = exchange.getRequestHeaders().getFirst(InstanceProfileBaseArn.TOKEN_HEADER);
    seen.add(method + " " + path + (token == null ? "" : " token=" + token));
    if (method.equals("PUT") && path.equals("/latest/api/token")) {
      String ttl = exchange.getRequestHeaders().getFirst(InstanceProfileBaseArn.TOKEN_TTL_HEADER);
      if (mode == Mode.V1_ONLY) {
        send(exchange, 403, "");
      } else if (ttl == null) {
        send(exchange, 400, "");
      } else {
        exchange.getResponseHeaders().add(InstanceProfileBaseArn.TOKEN_TTL_HEADER, ttl);
        send(exchange, 200, TOKEN);
      }
    } else if (method.equals("GET") && path.equals("/latest/meta-data/iam/info")) {
      if (mode == Mode.SILENT_FIRST && infoRequests.incrementAndGet() == 1) {
        return; // no answer: the client's timeout ends this request
      }
      if (mode == Mode.V2_REQUIRED && !TOKEN.equals(token)) {
        send(exchange, 401, "");
      } else if (mode == Mode.NO_PROFILE) {
        send(exchange, 404, "");
      } else {
        send(
            exchange,
            200,
            "{\"Code\":\"Success\",\"LastUpdated\":\"2026-01-02T15:04:05Z\","
                + "\"InstanceProfileArn\":\""
                + arn
                + "\",\"InstanceProfileId\":\"AIPAEXAMPLE\"}");
      }
    } else {
      send(exchange, 404, "");
    }
  }

  private static void send(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      exchange.getResponseBody().write(bytes);
    }
    exchange.close();
  }

  @AfterEach
  void stop() {
    if (imds != null) {
      imds.stop(0);
    }
  }

  @Test
  void derivesTheBaseArnFromTheInstanceProfileWithAnImdsV2Token() throws IOException {
    URI endpoint = start(Mode.V2_REQUIRED, "arn:aws:iam::123456789012:instance-profile/nodes/eks");
    String base = new InstanceProfileBaseArn(endpoint, Duration.ofSeconds(2)).detect();
    assertEquals("arn:aws:iam::123456789012:role/", base);
    assertEquals(
        List.of("PUT /latest/api/token", "GET /latest/meta-data/iam/info token=" + TOKEN), seen);
    assertEquals("arn:aws:iam::123456789012:role/app", new DefaultArnResolver(base).resolve("app"));
  }

  @Test
  void keepsThePartitionOfTheInstanceProfile() throws IOException {
    URI endpoint = start(Mode.V2_REQUIRED, "arn:aws-cn:iam::210987654321:instance-profile/n");
    assertEquals(
        "arn:aws-cn:iam::210987654321:role/",
        new InstanceProfileBaseArn(endpoint, Duration.ofSeconds(2)).detect());
  }

  @Test
  void fallsBackToImdsV1WhenNoTokenIsIssued() throws IOException {
    URI endpoint = start(Mode.V1_ONLY, "arn:aws:iam::123456789012:instance-profile/n");
    assertEquals(
        "arn:aws:iam::123456789012:role/",
        new InstanceProfileBaseArn(endpoint, Duration.ofSeconds(2)).detect());
    assertEquals(List.of("PUT /latest/api/token", "GET /latest/meta-data/iam/info"), seen);
  }

  @Test
  void saysWhatToDoWhenTheInstanceHasNoProfile() throws IOException {
    URI endpoint = start(Mode.NO_PROFILE, "unused");
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> new InstanceProfileBaseArn(endpoint, Duration.ofSeconds(2)).detect());
    assertTrue(e.getMessage().contains("no instance profile"), e.getMessage());
    assertTrue(e.getMessage().contains("--role-base-arn"), e.getMessage());
  }

  @Test
  void refusesSomethingThatIsNotAnInstanceProfileArn() throws IOException {
    URI endpoint = start(Mode.V2_REQUIRED, "arn:aws:iam::123456789012:role/not-a-profile");
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> new InstanceProfileBaseArn(endpoint, Duration.ofSeconds(2)).detect());
    assertTrue(e.getMessage().contains("not an instance profile ARN"), e.getMessage());
  }

  @Test
  void failsClearlyWhenNothingListens() throws IOException {
    URI endpoint = start(Mode.V2_REQUIRED, "unused");
    imds.stop(0);
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> new InstanceProfileBaseArn(endpoint, Duration.ofMillis(200), 2).detect());
    assertTrue(e.getMessage().startsWith("--role-base-arn-autodetect:"), e.getMessage());
  }

  @Test
  void asksAgainWhenTheMetadataServiceDoesNotAnswerInTime() throws IOException {
    URI endpoint = start(Mode.SILENT_FIRST, "arn:aws:iam::123456789012:instance-profile/nodes");
    assertEquals(
        "arn:aws:iam::123456789012:role/",
        new InstanceProfileBaseArn(endpoint, Duration.ofMillis(300), 3).detect());
    assertEquals(2, infoRequests.get(), "the unanswered request, then one more");
  }

  @Test
  void anAnswerThatSaysNoIsNotAskedAgain() throws IOException {
    URI endpoint = start(Mode.NO_PROFILE, "unused");
    assertThrows(
        IllegalStateException.class,
        () -> new InstanceProfileBaseArn(endpoint, Duration.ofSeconds(2), 3).detect());
    assertEquals(
        1,
        seen.stream().filter(r -> r.startsWith("GET /latest/meta-data/iam/info")).count(),
        "no instance profile is final");
  }
}
