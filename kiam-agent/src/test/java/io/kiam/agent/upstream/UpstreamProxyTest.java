package io.kiam.agent.upstream;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.kiam.agent.imds.Reply;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The proxy to the real metadata service, against a stand-in IMDS on loopback. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UpstreamProxyTest {
  /**
   * For the tests where the stand-in answers: the wait is not what they test, so it must never be
   * what fails them on a loaded machine (the stand-in's first answer can take over 400 ms there).
   */
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  /** For the silent upstream, which never answers: the wait's end is what that test checks. */
  private static final Duration SILENT_TIMEOUT = Duration.ofMillis(400);

  private static final Duration PATIENT = Duration.ofSeconds(10);

  private static EventLoopGroup group;

  private HttpServer imds;
  private final List<Map<String, List<String>>> seenHeaders = new CopyOnWriteArrayList<>();
  private final List<String> seen = new CopyOnWriteArrayList<>();
  private final AtomicInteger tokenRequests = new AtomicInteger();

  @BeforeAll
  static void loop() {
    group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  }

  @AfterAll
  static void stopLoop() {
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  @AfterEach
  void stop() {
    if (imds != null) {
      imds.stop(0);
    }
  }

  /** A stand-in IMDS: tokens on PUT (unless {@code v1Only}), then GETs answered with a status. */
  private URI imds(boolean v1Only, int status, String body) throws IOException {
    imds = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    imds.createContext(
        "/",
        exchange -> {
          seen.add(exchange.getRequestMethod() + " " + exchange.getRequestURI());
          seenHeaders.add(Map.copyOf(exchange.getRequestHeaders()));
          byte[] answer;
          int code;
          if (exchange.getRequestMethod().equals("PUT")) {
            tokenRequests.incrementAndGet();
            code = v1Only ? 405 : 200;
            answer = (v1Only ? "" : "UPSTREAM-TOKEN").getBytes(UTF_8);
          } else {
            code = status;
            answer = body.getBytes(UTF_8);
          }
          exchange.getResponseHeaders().set("Content-Type", "text/plain");
          exchange.sendResponseHeaders(code, answer.length == 0 ? -1 : answer.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(answer);
          }
        });
    imds.start();
    return URI.create("http://127.0.0.1:" + imds.getAddress().getPort());
  }

  private static Reply fetch(UpstreamProxy proxy, String path) throws Exception {
    return proxy.get(path).get(15, TimeUnit.SECONDS);
  }

  @Test
  void relaysTheAnswerWithTheAgentsOwnUpstreamTokenAndNothingOfThePods() throws Exception {
    UpstreamProxy proxy = new UpstreamProxy(imds(false, 200, "eu-west-1a"), group, TIMEOUT);

    Reply first = fetch(proxy, "/latest/meta-data/placement/availability-zone");
    Reply second = fetch(proxy, "/latest/meta-data/placement/availability-zone");

    assertEquals(200, first.status().code());
    assertEquals("eu-west-1a", new String(first.body(), UTF_8));
    assertEquals(200, second.status().code());
    assertEquals(1, tokenRequests.get(), "the upstream token is reused");
    assertEquals(
        List.of(
            "PUT /latest/api/token",
            "GET /latest/meta-data/placement/availability-zone",
            "GET /latest/meta-data/placement/availability-zone"),
        seen);
    Map<String, List<String>> get = seenHeaders.get(1);
    assertEquals(List.of("UPSTREAM-TOKEN"), get.get("X-aws-ec2-metadata-token"));
    assertNull(get.get("X-forwarded-for"));
    assertEquals(List.of("21600"), seenHeaders.get(0).get("X-aws-ec2-metadata-token-ttl-seconds"));
  }

  @Test
  void fallsBackToV1WhenTheUpstreamIssuesNoTokens() throws Exception {
    UpstreamProxy proxy = new UpstreamProxy(imds(true, 200, "i-0123"), group, TIMEOUT);

    Reply reply = fetch(proxy, "/latest/meta-data/instance-id");

    assertEquals(200, reply.status().code());
    assertEquals("i-0123", new String(reply.body(), UTF_8));
    assertFalse(seenHeaders.get(1).containsKey("X-aws-ec2-metadata-token"));
  }

  @Test
  void upstream404IsRelayedAndOther4xxOr5xxIs502() throws Exception {
    URI endpoint = imds(false, 404, "not here");
    assertEquals(404, fetch(new UpstreamProxy(endpoint, group, TIMEOUT), "/x").status().code());
    imds.stop(0);

    UpstreamProxy failing = new UpstreamProxy(imds(false, 500, "boom"), group, TIMEOUT);
    Reply reply = fetch(failing, "/latest/meta-data/x");

    assertEquals(502, reply.status().code());
    assertEquals("metadata endpoint answered 500", reply.reason());
  }

  @Test
  void unreachableUpstreamIs502() throws Exception {
    int closedPort;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = probe.getLocalPort();
    }
    // A refused connection is immediate: the long bound only keeps a loaded machine from
    // turning it into a timeout.
    UpstreamProxy proxy =
        new UpstreamProxy(URI.create("http://127.0.0.1:" + closedPort), group, PATIENT);

    Reply reply = fetch(proxy, "/latest/meta-data/x");

    assertEquals(502, reply.status().code(), reply.reason());
    assertTrue(reply.reason().startsWith("metadata endpoint unreachable"), reply.reason());
  }

  @Test
  void silentUpstreamIs504AfterOneWait() throws Exception {
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      // accepts and never answers, counting the connections the proxy opens
      AtomicInteger connections = new AtomicInteger();
      List<Socket> held = new CopyOnWriteArrayList<>();
      Thread acceptor =
          new Thread(
              () -> {
                try {
                  while (true) {
                    held.add(silent.accept());
                    connections.incrementAndGet();
                  }
                } catch (IOException closed) {
                  // the test is over
                }
              });
      acceptor.setDaemon(true);
      acceptor.start();
      UpstreamProxy proxy =
          new UpstreamProxy(
              URI.create("http://127.0.0.1:" + silent.getLocalPort()), group, SILENT_TIMEOUT);

      Reply reply = fetch(proxy, "/latest/meta-data/x");

      assertEquals(504, reply.status().code());
      assertEquals("metadata endpoint did not answer in time", reply.reason());
      // one wait, for the token attempt: a silent service gets no second try for the GET
      assertEquals(1, connections.get());
      for (Socket socket : held) {
        socket.close();
      }
    }
  }

  @Test
  void oversizedUpstreamAnswerIs502() throws Exception {
    UpstreamProxy proxy =
        new UpstreamProxy(
            imds(false, 200, "x".repeat(UpstreamProxy.MAX_RESPONSE + 1)), group, TIMEOUT);

    assertEquals(502, fetch(proxy, "/latest/user-data-like").status().code());
  }

  /**
   * A stand-in IMDS that issues TOKEN-1, TOKEN-2, ... and accepts only the newest it issued after
   * {@link #rotate}; {@code refuseAll} refuses every token.
   */
  private URI rotatingImds(AtomicInteger issued, AtomicInteger accepted, boolean refuseAll)
      throws IOException {
    imds = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    imds.createContext(
        "/",
        exchange -> {
          seen.add(exchange.getRequestMethod() + " " + exchange.getRequestURI());
          byte[] answer;
          int code;
          if (exchange.getRequestMethod().equals("PUT")) {
            int n = issued.incrementAndGet();
            accepted.set(n);
            code = 200;
            answer = ("TOKEN-" + n).getBytes(UTF_8);
          } else {
            String token = exchange.getRequestHeaders().getFirst("X-aws-ec2-metadata-token");
            boolean valid = !refuseAll && ("TOKEN-" + accepted.get()).equals(token);
            code = valid ? 200 : 401;
            answer = (valid ? "eu-west-1a" : "").getBytes(UTF_8);
          }
          exchange.sendResponseHeaders(code, answer.length == 0 ? -1 : answer.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(answer);
          }
        });
    imds.start();
    return URI.create("http://127.0.0.1:" + imds.getAddress().getPort());
  }

  /** The upstream forgets every token it issued (as after a restart). */
  private static void rotate(AtomicInteger accepted) {
    accepted.set(-1);
  }

  @Test
  void aTokenTheUpstreamNoLongerKnowsIsDroppedAndFetchedAgain() throws Exception {
    AtomicInteger issued = new AtomicInteger();
    AtomicInteger accepted = new AtomicInteger();
    UpstreamProxy proxy = new UpstreamProxy(rotatingImds(issued, accepted, false), group, PATIENT);
    String path = "/latest/meta-data/placement/availability-zone";

    Reply before = fetch(proxy, path);
    rotate(accepted);
    Reply after = fetch(proxy, path);
    Reply reused = fetch(proxy, path);

    assertEquals(200, before.status().code());
    assertEquals(200, after.status().code());
    assertEquals("eu-west-1a", new String(after.body(), UTF_8));
    assertEquals(200, reused.status().code());
    assertEquals(2, issued.get(), "one new token after the 401, then reused");
    assertEquals(
        List.of(
            "PUT /latest/api/token",
            "GET " + path,
            "GET " + path,
            "PUT /latest/api/token",
            "GET " + path,
            "GET " + path),
        seen);
  }

  @Test
  void anUpstreamRefusingEveryTokenIs502AfterOneRetry() throws Exception {
    AtomicInteger issued = new AtomicInteger();
    UpstreamProxy proxy =
        new UpstreamProxy(rotatingImds(issued, new AtomicInteger(), true), group, PATIENT);

    Reply reply = fetch(proxy, "/latest/meta-data/placement/availability-zone");

    assertEquals(502, reply.status().code());
    assertEquals("metadata endpoint answered 401", reply.reason());
    assertEquals(2, issued.get(), "one fresh token, no loop");
    assertEquals(4, seen.size(), seen.toString());
  }

  @Test
  void neitherNonCanonicalPathsNorTheNodesIdentityLeaveTheNode() throws Exception {
    UpstreamProxy proxy = new UpstreamProxy(imds(false, 200, "secret"), group, PATIENT);

    for (String path :
        List.of(
            "/latest/meta-data/iam/info",
            "/latest/meta-data/placement/../iam/info",
            "/latest/meta-data/IAM/info",
            "/latest/user-data",
            "/latest//meta-data/x",
            "/latest/dynamic/instance-identity/signature")) {
      assertEquals(404, fetch(proxy, path).status().code(), path);
    }
    assertEquals(List.of(), seen);
  }
}
