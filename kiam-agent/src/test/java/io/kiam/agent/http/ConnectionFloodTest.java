package io.kiam.agent.http;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiam.agent.imds.InterceptionCheck;
import io.kiam.agent.imds.MetadataServices;
import io.kiam.agent.imds.Router;
import io.kiam.agent.imds.TokenIssuer;
import io.kiam.agent.imds.Upstream;
import io.kiam.agent.metrics.AgentMetrics;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Connection floods over real TCP on loopback, each from its own source addresses (127.0.0.0/8):
 * the flooding source keeps at most its share open, and another pod's request is answered.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConnectionFloodTest {
  private static final int PER_SOURCE = 4;
  private static final int TOTAL = 16;
  private static final String POD = "127.0.0.2";

  private final EventLoopGroup group =
      new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
  private final List<Socket> flood = new ArrayList<>();
  private MetadataServer agent;

  @AfterEach
  void stop() throws IOException {
    for (Socket socket : flood) {
      socket.close();
    }
    if (agent != null) {
      agent.close();
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private void start() {
    MetadataServices services =
        new MetadataServices(
            new FakeServerClient().pod(POD, "shop", "web-1", "shop-reader"),
            new TokenIssuer(Clock.systemUTC(), new SecureRandom()),
            new Router(Optional.empty()),
            Upstream.none(),
            InterceptionCheck.notManaged(),
            Runnable::run,
            false,
            Duration.ofSeconds(10),
            new AgentMetrics(new PrometheusRegistry()));
    agent =
        MetadataServer.start(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            group,
            new MetadataInitializer(
                services,
                Duration.ofSeconds(60),
                Duration.ofSeconds(30),
                new ConnectionLimits(PER_SOURCE, TOTAL)));
  }

  private Socket connectFrom(String source) throws IOException {
    Socket socket =
        new Socket(
            InetAddress.getLoopbackAddress(),
            agent.address().getPort(),
            InetAddress.getByName(source),
            0);
    socket.setSoTimeout(15_000);
    return socket;
  }

  private void floodFrom(String source, int connections, String firstBytes) throws IOException {
    for (int i = 0; i < connections; i++) {
      Socket socket = connectFrom(source);
      flood.add(socket);
      if (!firstBytes.isEmpty()) {
        try {
          socket.getOutputStream().write(firstBytes.getBytes(UTF_8));
          socket.getOutputStream().flush();
        } catch (IOException closedAlready) {
          // the agent closed it at once: that is the point
        }
      }
    }
  }

  /** The pod's own request on a fresh connection: the status line and body. */
  private String podAsksForItsRole() throws IOException {
    try (Socket socket = connectFrom(POD)) {
      socket
          .getOutputStream()
          .write(
              ("GET /latest/meta-data/iam/security-credentials/ HTTP/1.1\r\n"
                      + "Host: 169.254.169.254\r\nConnection: close\r\n\r\n")
                  .getBytes(UTF_8));
      String response = new String(socket.getInputStream().readAllBytes(), UTF_8);
      return response.substring(0, response.indexOf("\r\n"))
          + " "
          + response.substring(response.indexOf("\r\n\r\n") + 4);
    }
  }

  /** Waits (10 s at most) until at least {@code wanted} flood connections were closed. */
  private int awaitClosed(int wanted) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    List<Socket> open = new ArrayList<>(flood);
    int closed = 0;
    while (true) {
      for (var it = open.iterator(); it.hasNext(); ) {
        if (closedByPeer(it.next())) {
          it.remove();
          closed++;
        }
      }
      if (closed >= wanted || System.nanoTime() > deadline) {
        return closed;
      }
      Thread.sleep(50);
    }
  }

  private static boolean closedByPeer(Socket socket) throws IOException {
    socket.setSoTimeout(20);
    try {
      return socket.getInputStream().read() < 0;
    } catch (SocketTimeoutException stillOpen) {
      return false;
    } catch (IOException reset) {
      return true;
    }
  }

  /** A keep-alive /ping on {@code socket}: true when the agent answered it. */
  private static boolean pingAnswered(Socket socket) throws IOException {
    socket.setSoTimeout(15_000);
    try {
      socket
          .getOutputStream()
          .write("GET /ping HTTP/1.1\r\nHost: 169.254.169.254\r\n\r\n".getBytes(UTF_8));
      StringBuilder seen = new StringBuilder();
      while (!seen.toString().endsWith("pong")) {
        int b = socket.getInputStream().read();
        if (b < 0) {
          return false;
        }
        seen.append((char) b);
      }
      return seen.toString().startsWith("HTTP/1.1 200 OK");
    } catch (IOException reset) {
      return false;
    }
  }

  @Test
  void aSourcePastItsShareIsRefusedNewConnectionsAndKeepsItsLiveOnes() throws Exception {
    start();
    List<Socket> held = new ArrayList<>();
    for (int i = 0; i < PER_SOURCE; i++) {
      Socket socket = connectFrom("127.0.0.1");
      held.add(socket);
      assertTrue(pingAnswered(socket), "connection " + i + " within the share is served");
    }
    try {
      floodFrom("127.0.0.1", 100, "");
      String answer = podAsksForItsRole();

      assertEquals("HTTP/1.1 200 OK shop-reader", answer);
      assertEquals(100, awaitClosed(100), "every connection past the share is refused");
      for (int i = 0; i < PER_SOURCE; i++) {
        assertTrue(pingAnswered(held.get(i)), "live connection " + i + " was cut by the flood");
      }
    } finally {
      for (Socket socket : held) {
        socket.close();
      }
    }
  }

  @Test
  void aSourceTricklingRequestsOnEveryConnectionGetsNoMoreThanItsShare() throws Exception {
    start();

    floodFrom("127.0.0.1", 40, "GET /latest/meta-data/iam/secu");
    String answer = podAsksForItsRole();

    assertEquals("HTTP/1.1 200 OK shop-reader", answer);
    assertEquals(40 - PER_SOURCE, awaitClosed(40 - PER_SOURCE), "busy ones are kept, new refused");
  }

  @Test
  void manySourcesTogetherStayWithinTheTotalAndAnotherPodIsServed() throws Exception {
    start();

    for (int source = 10; source < 18; source++) {
      floodFrom("127.0.0." + source, PER_SOURCE, "");
    }
    String answer = podAsksForItsRole();

    assertEquals("HTTP/1.1 200 OK shop-reader", answer);
    // 32 connections and the pod's own: 17 of the flood's idle ones had to go.
    assertEquals(8 * PER_SOURCE - TOTAL + 1, awaitClosed(8 * PER_SOURCE - TOTAL + 1));
  }
}
