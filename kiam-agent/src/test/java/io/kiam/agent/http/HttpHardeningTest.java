package io.kiam.agent.http;

import static io.kiam.agent.http.EmbeddedAgent.elapse;
import static io.kiam.agent.http.EmbeddedAgent.get;
import static io.kiam.agent.http.EmbeddedAgent.request;
import static io.kiam.agent.http.EmbeddedAgent.send;
import static io.kiam.agent.http.EmbeddedAgent.single;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiam.agent.client.PodRef;
import io.kiam.agent.client.PodRole;
import io.kiam.agent.http.EmbeddedAgent.Answer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Methods, size limits, keep-alive, pipelining, timeouts and caller identity. */
class HttpHardeningTest {
  private static final String POD_IP = "10.1.2.3";
  private static final String LISTING = "/latest/meta-data/iam/security-credentials/";

  private final EmbeddedAgent agent = new EmbeddedAgent();

  HttpHardeningTest() {
    agent.servers.pod(POD_IP, "shop", "web-1", "shop-reader");
  }

  @ParameterizedTest
  @ValueSource(strings = {"POST", "DELETE", "OPTIONS", "PATCH", "TRACE", "PUT", "CONNECT"})
  void onlyGetOnMetadataPaths(String method) {
    CallerChannel channel = agent.connect(POD_IP);

    Answer answer = single(send(channel, request(method, LISTING, "Content-Length: 0")));

    assertEquals(405, answer.status(), method);
    assertEquals("GET", answer.header("Allow"));
    assertTrue(agent.servers.calls().isEmpty());
    assertTrue(channel.isActive(), "a refused method does not end the connection");
  }

  @Test
  void headIs405WithoutABody() {
    CallerChannel channel = agent.connect(POD_IP);
    channel.writeInbound(
        io.netty.buffer.Unpooled.copiedBuffer(
            request("HEAD", LISTING), java.nio.charset.StandardCharsets.US_ASCII));
    channel.runPendingTasks();
    StringBuilder raw = new StringBuilder();
    for (Object out = channel.readOutbound(); out != null; out = channel.readOutbound()) {
      io.netty.buffer.ByteBuf bytes = (io.netty.buffer.ByteBuf) out;
      raw.append(bytes.toString(java.nio.charset.StandardCharsets.US_ASCII));
      bytes.release();
    }

    assertTrue(raw.toString().startsWith("HTTP/1.1 405 Method Not Allowed\r\n"), raw.toString());
    assertTrue(raw.toString().toLowerCase().contains("\r\nallow: get\r\n"), raw.toString());
    assertTrue(raw.toString().endsWith("\r\n\r\n"), "no body after HEAD: " + raw);
    assertTrue(agent.servers.calls().isEmpty());
  }

  @Test
  void overlongRequestLineIs400AndCloses() {
    CallerChannel channel = agent.connect(POD_IP);

    Answer answer = single(send(channel, request("GET", "/latest/" + "a".repeat(5000))));

    assertEquals(400, answer.status());
    assertEquals("request line longer than 4096 bytes\n", answer.body());
    assertFalse(channel.isActive());
  }

  @Test
  void oversizedHeadersAre431AndClose() {
    CallerChannel channel = agent.connect(POD_IP);

    Answer answer =
        single(send(channel, request("GET", LISTING, "X-Padding: " + "p".repeat(9000))));

    assertEquals(431, answer.status());
    assertFalse(channel.isActive());
    assertTrue(agent.servers.calls().isEmpty());
  }

  @Test
  void garbageIs400AndCloses() {
    CallerChannel channel = agent.connect(POD_IP);

    Answer answer = single(send(channel, "GET / HTTP/1.1\r\nno colon here\r\n\r\n"));

    assertEquals(400, answer.status());
    assertFalse(channel.isActive());
  }

  @Test
  void oversizedBodyIsRefused() {
    CallerChannel channel = agent.connect(POD_IP);

    Answer answer =
        single(
            send(
                channel,
                request("PUT", "/latest/api/token", "Content-Length: 20000") + "x".repeat(20000)));

    assertEquals(413, answer.status());
  }

  @Test
  void http10WithoutKeepAliveIsAnsweredThenClosed() {
    CallerChannel channel = agent.connect(POD_IP);

    Answer answer = single(send(channel, "GET " + LISTING + " HTTP/1.0\r\n\r\n"));

    assertEquals(200, answer.status());
    assertEquals("shop-reader", answer.body());
    assertFalse(channel.isActive());
  }

  @Test
  void http10WithKeepAliveStaysOpen() {
    CallerChannel channel = agent.connect(POD_IP);

    Answer first = single(send(channel, "GET /ping HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    Answer second = single(send(channel, "GET " + LISTING + " HTTP/1.0\r\n\r\n"));

    assertEquals("keep-alive", first.header("Connection"));
    assertEquals("pong", first.body());
    assertEquals("shop-reader", second.body());
    assertFalse(channel.isActive());
  }

  @Test
  void http11KeepsTheConnectionForManyRequests() {
    CallerChannel channel = agent.connect(POD_IP);

    for (int i = 0; i < 5; i++) {
      assertEquals("shop-reader", get(channel, LISTING).body());
    }
    assertTrue(channel.isActive());
    assertEquals(
        "close",
        single(send(channel, request("GET", "/ping", "Connection: close"))).header("Connection"));
    assertFalse(channel.isActive());
  }

  @Test
  void pipelinedRequestsAreAnsweredInOrderEvenWhenTheFirstWaits() {
    CompletableFuture<PodRole> slow = new CompletableFuture<>();
    agent.servers.hold(slow);
    CallerChannel channel = agent.connect(POD_IP);

    List<Answer> before =
        send(channel, request("GET", LISTING) + request("GET", "/ping") + request("GET", "/ping"));
    slow.complete(new PodRole(new PodRef("shop", "web-1"), "slow-role", ""));
    channel.runPendingTasks();
    List<Answer> after = EmbeddedAgent.responses(channel);

    assertTrue(before.isEmpty(), "nothing answered before the first request");
    assertEquals(3, after.size());
    assertEquals("slow-role", after.get(0).body());
    assertEquals("pong", after.get(1).body());
    assertEquals("pong", after.get(2).body());
  }

  @Test
  void callerIsTheTcpSourceNeverAHeader() {
    agent.servers.pod("10.9.9.9", "kube-system", "admin", "cluster-admin");

    Answer answer =
        get(
            agent.connect(POD_IP),
            LISTING,
            "X-Forwarded-For: 10.9.9.9",
            "X-Real-IP: 10.9.9.9",
            "Forwarded: for=10.9.9.9",
            "True-Client-IP: 10.9.9.9");

    assertEquals("shop-reader", answer.body());
    assertEquals(List.of("podRole " + POD_IP), agent.servers.calls());
  }

  @Test
  void aServerThatNeverAnswersGets503AtTheDeadlineAndTheConnectionGoesOn() {
    CompletableFuture<PodRole> never = new CompletableFuture<>();
    agent.servers.hold(never);
    CallerChannel channel = agent.connect(POD_IP);

    List<Answer> early = send(channel, request("GET", LISTING));
    elapse(channel, EmbeddedAgent.REQUEST_TIMEOUT.minusMillis(1));
    List<Answer> stillNothing = EmbeddedAgent.responses(channel);
    elapse(channel, Duration.ofMillis(1));
    Answer timedOut = single(EmbeddedAgent.responses(channel));
    never.complete(new PodRole(new PodRef("shop", "web-1"), "late", ""));
    channel.runPendingTasks();

    assertTrue(early.isEmpty() && stillNothing.isEmpty());
    assertEquals(503, timedOut.status());
    assertEquals("no kiam-server reachable: no answer within 900ms\n", timedOut.body());
    assertTrue(EmbeddedAgent.responses(channel).isEmpty(), "the late answer is dropped");
    assertEquals("shop-reader", get(channel, LISTING).body());
  }

  @Test
  void aRequestTrickledSlowlyIsCutOff() {
    CallerChannel channel = agent.connect(POD_IP);

    send(channel, "GET " + LISTING + " HTTP/1.1\r\nHost: x\r\n");
    elapse(channel, EmbeddedAgent.SLOW_REQUEST.minusSeconds(1));
    send(channel, "X-More: 1\r\n");
    assertTrue(channel.isActive());
    elapse(channel, Duration.ofSeconds(1));

    assertFalse(channel.isActive());
  }

  @Test
  void answeredRequestsDoNotCountTowardsTheSlowRequestLimit() {
    CallerChannel channel = agent.connect(POD_IP);

    for (int i = 0; i < 3; i++) {
      get(channel, "/ping");
      elapse(channel, EmbeddedAgent.SLOW_REQUEST.minusSeconds(1));
    }

    assertTrue(channel.isActive());
  }

  @Test
  void idleKeepAliveConnectionsAreClosed() {
    CallerChannel channel = agent.connect(POD_IP);
    get(channel, "/ping");

    elapse(channel, EmbeddedAgent.IDLE.plusSeconds(1));

    assertFalse(channel.isActive());
  }
}
