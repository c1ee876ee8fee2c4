package io.kiam.e2e.metadata;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.Executors;

/**
 * A stand-in for the cloud's own instance metadata service inside the node namespace, handing out
 * the node's identity. It is lenient on purpose: it normalises slashes, encodings, backslashes and
 * dot segments, so a trick path an agent passes through reaches the node's credentials and shows.
 */
public final class MetadataStandIn implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOKEN = "node-NODELEAK-imds-token";

  /** How the node's metadata options are set. */
  public enum Mode {
    /** IMDSv1 on: answers requests without a token (http-tokens optional). */
    OPEN,
    /** IMDSv2 required: a request without the session token gets 401 (http-tokens required). */
    HARDENED,
    /**
     * IMDSv2 required with a PUT response hop limit of 1, the recommended node set-up: the token
     * answer never reaches a client one hop further than the node (a pod behind a veth). Modelled
     * by the client's address: a token PUT from an address that is not the node's own gets its
     * connection closed unanswered, as a dropped answer would leave it.
     */
    HOP_LIMIT_1
  }

  private final HttpServer server;
  private final Mode mode;

  private MetadataStandIn(HttpServer server, Mode mode) {
    this.server = server;
    this.mode = mode;
  }

  /** Listens on the address (169.254.169.254:80 inside the node), IMDSv1 open. */
  public static MetadataStandIn start(InetSocketAddress bind) throws IOException {
    return start(bind, Mode.OPEN);
  }

  /** Listens on the address with the node's metadata options set as {@code mode} says. */
  public static MetadataStandIn start(InetSocketAddress bind, Mode mode) throws IOException {
    HttpServer server = HttpServer.create(bind, 64);
    MetadataStandIn standIn = new MetadataStandIn(server, mode);
    server.createContext("/", standIn::handle);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.start();
    return standIn;
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String raw = exchange.getRequestURI().getRawPath();
      String path = normalise(raw);
      String method = exchange.getRequestMethod();
      System.out.printf("%s %s %s -> %s%n", Instant.now(), method, raw, path);
      if (method.equals("PUT") && path.endsWith("/api/token") && beyondHopLimit(exchange)) {
        System.out.printf(
            "%s token PUT from %s dropped: one hop beyond the hop limit of 1%n",
            Instant.now(), exchange.getRemoteAddress().getAddress().getHostAddress());
        return; // closed without an answer
      }
      if (method.equals("PUT") && path.endsWith("/api/token")) {
        String ttl = exchange.getRequestHeaders().getFirst("X-aws-ec2-metadata-token-ttl-seconds");
        if (ttl == null) {
          send(exchange, 400, "text/plain", "missing ttl");
          return;
        }
        exchange.getResponseHeaders().add("X-aws-ec2-metadata-token-ttl-seconds", ttl);
        send(exchange, 200, "text/plain", TOKEN);
        return;
      }
      if (mode != Mode.OPEN
          && !TOKEN.equals(exchange.getRequestHeaders().getFirst("X-aws-ec2-metadata-token"))) {
        send(exchange, 401, "text/plain", "Unauthorized");
        return;
      }
      String answer = answer(path);
      if (answer == null) {
        send(exchange, 404, "text/plain", "Not Found");
      } else {
        send(exchange, 200, answer.startsWith("{") ? "application/json" : "text/plain", answer);
      }
    }
  }

  /** Whether the client sits behind another hop: its address is not one of the node's own. */
  private boolean beyondHopLimit(HttpExchange exchange) {
    if (mode != Mode.HOP_LIMIT_1) {
      return false;
    }
    InetAddress client = exchange.getRemoteAddress().getAddress();
    try {
      return !client.isLoopbackAddress() && NetworkInterface.getByInetAddress(client) == null;
    } catch (SocketException e) {
      return true;
    }
  }

  /** Maps a normalised path (version segment stripped) to the node's answer, or null. */
  static String answer(String path) {
    String p = path.replaceFirst("^/[^/]+/", "/");
    return switch (p) {
      case "/meta-data/iam/security-credentials",
          "/meta-data/iam/security-credentials/",
          "/meta-data/iam/security-credentials-extended",
          "/meta-data/iam/security-credentials-extended/" ->
          NodeIdentity.ROLE_NAME;
      case "/meta-data/iam/security-credentials/" + NodeIdentity.ROLE_NAME,
          "/meta-data/iam/security-credentials-extended/" + NodeIdentity.ROLE_NAME ->
          credentials(NodeIdentity.ACCESS_KEY_ID);
      case "/meta-data/identity-credentials/ec2/security-credentials/ec2-instance" ->
          credentials(NodeIdentity.IDENTITY_ACCESS_KEY_ID);
      case "/meta-data/identity-credentials/ec2/security-credentials/" -> "ec2-instance";
      case "/meta-data/iam/info" ->
          json(
              JSON.createObjectNode()
                  .put("Code", "Success")
                  .put("LastUpdated", now())
                  .put("InstanceProfileArn", NodeIdentity.INSTANCE_PROFILE_ARN)
                  .put("InstanceProfileId", "AIPANODELEAK0001"));
      case "/meta-data/instance-id" -> NodeIdentity.INSTANCE_ID;
      case "/meta-data/placement/region" -> "us-east-1";
      case "/user-data", "/user-data/" -> NodeIdentity.USER_DATA;
      case "/meta-data", "/meta-data/" -> "iam/\nidentity-credentials/\ninstance-id\nplacement/";
      default -> null;
    };
  }

  private static void send(HttpExchange exchange, int status, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  private static String credentials(String accessKeyId) {
    return json(
        JSON.createObjectNode()
            .put("Code", "Success")
            .put("LastUpdated", now())
            .put("Type", "AWS-HMAC")
            .put("AccessKeyId", accessKeyId)
            .put("SecretAccessKey", NodeIdentity.SECRET_ACCESS_KEY)
            .put("Token", NodeIdentity.SESSION_TOKEN)
            .put(
                "Expiration",
                Instant.now().plus(6, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS).toString())
            .put("AccountId", "111111111111"));
  }

  private static String json(ObjectNode document) {
    try {
      return JSON.writeValueAsString(document);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String now() {
    return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
  }

  /**
   * Decodes (twice), turns backslashes into slashes, collapses slashes and resolves dot segments.
   */
  static String normalise(String rawPath) {
    String decoded = rawPath;
    for (int i = 0; i < 2; i++) {
      decoded = URLDecoder.decode(decoded.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
    Deque<String> segments = new ArrayDeque<>();
    for (String segment : decoded.replace('\\', '/').split("/+")) {
      if (segment.isEmpty() || segment.equals(".")) {
        continue;
      }
      if (segment.equals("..")) {
        segments.pollLast();
      } else {
        segments.addLast(segment);
      }
    }
    String joined = "/" + String.join("/", segments);
    boolean trailing = decoded.endsWith("/") && !joined.equals("/");
    return trailing ? joined + "/" : joined;
  }

  /** The port actually bound (useful when asked for port 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
