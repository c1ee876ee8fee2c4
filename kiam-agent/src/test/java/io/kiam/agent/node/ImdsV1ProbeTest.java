package io.kiam.agent.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
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
}
