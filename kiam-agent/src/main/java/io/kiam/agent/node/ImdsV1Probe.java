package io.kiam.agent.node;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Asks the node's metadata service for its instance id without a token, as IMDSv1 clients do. The
 * agent runs in the host network, where its packets never meet its own rule, so the answer is the
 * real service's. Reads nothing secret: the instance id only, and only its status line.
 *
 * <p>One HTTP/1.1 GET on a plain socket (no proxy, no redirects), not the JDK's HttpClient: that
 * client loads some 250 classes and keeps a selector thread for the agent's whole life, about 2 MiB
 * of a node agent's resident memory for one request a few minutes apart (issue 10).
 */
public final class ImdsV1Probe {
  static final String PATH = "latest/meta-data/instance-id";
  private static final int MAX_STATUS_LINE = 256;

  private final URI target;
  private final Duration timeout;

  public ImdsV1Probe(URI metadataEndpoint, Duration timeout) {
    String base = metadataEndpoint.toString();
    this.target = URI.create(base.endsWith("/") ? base + PATH : base + "/" + PATH);
    this.timeout = timeout;
  }

  /** One check; never throws for a network problem (that is {@link ImdsV1Status#UNKNOWN}). */
  public ImdsV1Status check() throws InterruptedException {
    if (!"http".equalsIgnoreCase(target.getScheme()) || target.getHost() == null) {
      return ImdsV1Status.UNKNOWN;
    }
    int status;
    try {
      status = statusCode();
    } catch (IOException | RuntimeException e) {
      return ImdsV1Status.UNKNOWN;
    }
    if (Thread.interrupted()) {
      throw new InterruptedException();
    }
    if (status == 200) {
      return ImdsV1Status.OPEN;
    }
    if (status == 401) {
      return ImdsV1Status.REQUIRES_TOKEN;
    }
    return ImdsV1Status.UNKNOWN;
  }

  private int statusCode() throws IOException {
    int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    int port = target.getPort() == -1 ? 80 : target.getPort();
    String host = target.getHost();
    // URI keeps an IPv6 literal's brackets: the Host header wants them, the socket address not
    String address =
        host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    String hostHeader = target.getPort() == -1 ? host : host + ":" + port;
    try (Socket socket = new Socket(Proxy.NO_PROXY)) {
      socket.connect(new InetSocketAddress(address, port), millis);
      socket.setSoTimeout(millis);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("GET "
                  + target.getRawPath()
                  + " HTTP/1.1\r\nHost: "
                  + hostHeader
                  + "\r\nAccept: */*\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      return parseStatus(socket.getInputStream());
    }
  }

  /** The status code of an HTTP/1.x status line ("HTTP/1.1 200 OK"), -1 when there is none. */
  static int parseStatus(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    int c;
    while ((c = in.read()) != -1 && c != '\n' && line.length() < MAX_STATUS_LINE) {
      line.append((char) c);
    }
    String text = line.toString().trim();
    if (!text.startsWith("HTTP/1.")) {
      return -1;
    }
    String[] parts = text.split(" ", 3);
    if (parts.length < 2 || parts[1].length() != 3) {
      return -1;
    }
    try {
      return Integer.parseInt(parts[1]);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Where the check asks. */
  public URI target() {
    return target;
  }
}
