package io.kiam.agent.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ImdsV1ProbeTest {
  private static int status(String reply) throws IOException {
    return ImdsV1Probe.parseStatus(
        new ByteArrayInputStream(reply.getBytes(StandardCharsets.US_ASCII)));
  }

  @Test
  void readsTheStatusCodeOfAnHttp1StatusLine() throws IOException {
    assertEquals(200, status("HTTP/1.1 200 OK\r\nContent-Length: 19\r\n\r\ni-0123456789abcdef0"));
    assertEquals(401, status("HTTP/1.0 401 Unauthorized\r\n\r\n"));
    assertEquals(404, status("HTTP/1.1 404\r\n\r\n"));
  }

  @Test
  void anythingElseIsNoStatus() throws IOException {
    assertEquals(-1, status(""));
    assertEquals(-1, status("SSH-2.0-OpenSSH_9.2\r\n"));
    assertEquals(-1, status("HTTP/1.1 2000 OK\r\n"));
    assertEquals(-1, status("HTTP/1.1 abc OK\r\n"));
    assertEquals(-1, status("HTTP/1.1 " + "2".repeat(1000)));
  }

  @Test
  void aNonHttpEndpointIsUnknownWithoutAnyRequest() throws InterruptedException {
    assertEquals(
        ImdsV1Status.UNKNOWN,
        new ImdsV1Probe(URI.create("https://127.0.0.1:1"), Duration.ofSeconds(1)).check());
  }

  @Test
  void theTargetKeepsTheEndpointsPath() {
    assertEquals(
        URI.create("http://[fd00:ec2::254]/latest/meta-data/instance-id"),
        new ImdsV1Probe(URI.create("http://[fd00:ec2::254]"), Duration.ofSeconds(1)).target());
  }

  @Test
  void asksAnIpv6EndpointWithTheLiteralInTheHostHeader() throws Exception {
    InetAddress loopback6 = InetAddress.getByName("::1");
    assumeTrue(NetworkInterface.getByInetAddress(loopback6) != null, "no IPv6 loopback here");
    HttpServer imds = HttpServer.create(new InetSocketAddress(loopback6, 0), 8);
    AtomicReference<String> host = new AtomicReference<>();
    imds.createContext(
        "/latest/meta-data/instance-id",
        exchange -> {
          host.set(exchange.getRequestHeaders().getFirst("Host"));
          byte[] body = "i-0123456789abcdef0".getBytes(StandardCharsets.US_ASCII);
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    imds.start();
    try {
      int port = imds.getAddress().getPort();
      URI endpoint = URI.create("http://[::1]:" + port);
      assertEquals(ImdsV1Status.OPEN, new ImdsV1Probe(endpoint, Duration.ofSeconds(5)).check());
      assertEquals("[::1]:" + port, host.get());
    } finally {
      imds.stop(0);
    }
  }
}
