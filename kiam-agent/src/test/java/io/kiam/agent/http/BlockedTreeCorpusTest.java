package io.kiam.agent.http;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.kiam.agent.imds.InterceptionCheck;
import io.kiam.agent.imds.MetadataServices;
import io.kiam.agent.imds.PathNormalizer;
import io.kiam.agent.imds.Router;
import io.kiam.agent.imds.TokenIssuer;
import io.kiam.agent.metrics.AgentMetrics;
import io.kiam.agent.upstream.UpstreamProxy;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLDecoder;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hundreds of spellings of the node's identity sent over real HTTP to a real agent whose upstream
 * is a stand-in IMDS that records every request it receives: whatever the allow-list, nothing under
 * {@code iam/}, {@code identity-credentials/}, {@code user-data}, {@code api/token} or {@code
 * dynamic/instance-identity/} (but its document) ever reaches it, and what does reach it is
 * canonical.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BlockedTreeCorpusTest {
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  /** Each base path with the segment that makes it the node's. */
  private static final List<String[]> BASES =
      List.of(
          new String[] {"/latest/meta-data/iam/info", "iam"},
          new String[] {"/latest/meta-data/iam/security-credentials/", "iam"},
          new String[] {"/latest/meta-data/iam/security-credentials/node-role", "iam"},
          new String[] {
            "/latest/meta-data/identity-credentials/ec2/security-credentials/ec2-instance",
            "identity-credentials"
          },
          new String[] {"/latest/meta-data/identity-credentials/ec2/info", "identity-credentials"},
          new String[] {"/latest/user-data", "user-data"},
          new String[] {"/1.0/user-data/", "user-data"},
          new String[] {"/latest/api/token", "api"},
          new String[] {"/latest/dynamic/instance-identity/signature", "instance-identity"},
          new String[] {"/latest/dynamic/instance-identity/pkcs7", "instance-identity"},
          new String[] {"/latest/dynamic/instance-identity/rsa2048", "instance-identity"},
          new String[] {"/latest/dynamic/instance-identity/", "instance-identity"},
          new String[] {"/2021-07-15/meta-data/iam/info", "iam"});

  private EventLoopGroup group;
  private HttpServer imds;
  private MetadataServer agent;
  private final List<String> received = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() {
    if (agent != null) {
      agent.close();
    }
    if (imds != null) {
      imds.stop(0);
    }
    if (group != null) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        ".*",
        "(?i).*",
        "/latest/.*",
        "/latest/meta-data/placement/.*",
        "/latest/(meta-data|dynamic|user-data|api)(/.*)?"
      })
  void noSpellingOfTheNodesIdentityReachesTheUpstream(String allowRoute) throws Exception {
    start(allowRoute);
    Set<String> corpus = corpus();
    assertTrue(corpus.size() >= 100, "corpus has " + corpus.size() + " spellings");

    List<String> statuses = new ArrayList<>();
    for (String target : corpus) {
      statuses.add(target + " -> " + status("GET", target));
    }
    for (String target : corpus) {
      if (target.toLowerCase(Locale.ROOT).contains("api")) {
        statuses.add("PUT " + target + " -> " + status("PUT", target));
      }
    }

    for (String request : received) {
      assertFalse(underTheNodesIdentity(request), request + " reached the upstream; " + statuses);
      String path = request.substring(request.indexOf(' ') + 1);
      assertEquals(
          PathNormalizer.normalize(path).toString(), path, "only canonical paths are forwarded");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {".*", "/latest/meta-data/placement/.*"})
  void theStandInRecordsWhatIsAllowed(String allowRoute) throws Exception {
    start(allowRoute);

    int status = status("GET", "//latest/meta-data/./placement/availability-zone?x=1");

    assertEquals(200, status);
    assertTrue(
        received.contains("GET /latest/meta-data/placement/availability-zone"),
        "the stand-in records: " + received);
  }

  /** Every base path under every spelling trick. */
  static Set<String> corpus() {
    List<UnaryOperator<String>> keyTricks =
        List.of(
            key -> key,
            key -> key.toUpperCase(Locale.ROOT),
            key -> Character.toUpperCase(key.charAt(0)) + key.substring(1),
            key -> key + ";x",
            key -> key + ";",
            key -> ";" + key,
            key -> key + "%3B",
            key -> key + "%3bjsessionid=1",
            key -> "placement/..;/" + key,
            key -> "placement/../" + key,
            key -> "placement/.../" + key,
            key -> "placement/%2e%2e/" + key,
            key -> "placement/%2E%2E;/" + key,
            key -> "%" + Integer.toHexString(key.charAt(0)) + key.substring(1),
            key ->
                "%"
                    + Integer.toHexString(key.charAt(0)).toUpperCase(Locale.ROOT)
                    + key.substring(1),
            key -> "/" + key,
            key -> "./" + key,
            key -> key + ".",
            key -> key + "~",
            key -> key + "..",
            key -> "..." + "/" + key);
    List<UnaryOperator<String>> wholeTricks =
        List.of(
            path -> path.toUpperCase(Locale.ROOT),
            path -> path + "?x=../../iam/info",
            path -> path + ";",
            path -> path + "/.",
            path -> path + "/",
            path -> path.replace("/latest/", "/Latest/"),
            path -> path.replace("/latest/", "/latest/./"),
            path -> path.replace("/latest/", "/latest;/"),
            path -> path.replace("/latest/", "//latest//"));
    Set<String> corpus = new LinkedHashSet<>();
    for (String[] base : BASES) {
      String path = base[0];
      String key = base[1];
      for (UnaryOperator<String> trick : keyTricks) {
        corpus.add(path.replace("/" + key, "/" + trick.apply(key)));
      }
      for (UnaryOperator<String> trick : wholeTricks) {
        corpus.add(trick.apply(path));
      }
    }
    return corpus;
  }

  /**
   * The oracle, independent of the agent's code: decoded, lower-cased segments stripped of
   * punctuation name the node's identity.
   */
  private static boolean underTheNodesIdentity(String request) {
    String path = request.substring(request.indexOf(' ') + 1);
    String decoded = URLDecoder.decode(path.replace("+", "%2B"), UTF_8).toLowerCase(Locale.ROOT);
    if (decoded.equals("/latest/dynamic/instance-identity/document")) {
      return false;
    }
    List<String> segments = new ArrayList<>();
    for (String segment : decoded.split("[/;]")) {
      segments.add(segment.replaceAll("^[^a-z0-9]+|[^a-z0-9]+$", ""));
    }
    for (int i = 0; i < segments.size(); i++) {
      String s = segments.get(i);
      if (s.equals("iam")
          || s.equals("identity-credentials")
          || s.equals("user-data")
          || s.equals("instance-identity")
          || (s.equals("api") && i + 1 < segments.size() && segments.get(i + 1).equals("token"))) {
        return true;
      }
    }
    return false;
  }

  private void start(String allowRoute) throws IOException {
    imds = HttpServer.create(new InetSocketAddress(LOOPBACK, 0), 0);
    imds.createContext(
        "/",
        exchange -> {
          String method = exchange.getRequestMethod();
          String path = exchange.getRequestURI().getRawPath();
          boolean agentsOwnToken = method.equals("PUT") && path.equals("/latest/api/token");
          if (!agentsOwnToken) {
            received.add(method + " " + exchange.getRequestURI().getRawPath());
          }
          byte[] answer = (agentsOwnToken ? "UPSTREAM-TOKEN" : "UPSTREAM " + path).getBytes(UTF_8);
          exchange.sendResponseHeaders(200, answer.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(answer);
          }
        });
    imds.start();
    group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    URI endpoint = URI.create("http://127.0.0.1:" + imds.getAddress().getPort());
    MetadataServices services =
        new MetadataServices(
            new FakeServerClient().pod("127.0.0.1", "shop", "web-1", "shop-reader"),
            new TokenIssuer(Clock.systemUTC(), new SecureRandom()),
            new Router(Optional.of(Pattern.compile(allowRoute))),
            new UpstreamProxy(endpoint, group, Duration.ofSeconds(5)),
            InterceptionCheck.notManaged(),
            Runnable::run,
            false,
            Duration.ofSeconds(10),
            new AgentMetrics(new PrometheusRegistry()));
    agent =
        MetadataServer.start(
            new InetSocketAddress(LOOPBACK, 0),
            group,
            new MetadataInitializer(services, Duration.ofSeconds(60), Duration.ofSeconds(10)));
  }

  /** Sends one raw request on a fresh connection and returns the response's status code. */
  private int status(String method, String target) throws IOException {
    try (Socket socket = new Socket(LOOPBACK, agent.address().getPort())) {
      socket.setSoTimeout(15_000);
      String request =
          method
              + " "
              + target
              + " HTTP/1.1\r\nHost: 169.254.169.254\r\n"
              + "X-aws-ec2-metadata-token-ttl-seconds: 60\r\nConnection: close\r\n\r\n";
      socket.getOutputStream().write(request.getBytes(UTF_8));
      socket.getOutputStream().flush();
      InputStream in = socket.getInputStream();
      String response = new String(in.readAllBytes(), UTF_8);
      if (!response.startsWith("HTTP/1.1 ")) {
        throw new IOException("no HTTP response to " + target + ": " + response);
      }
      return Integer.parseInt(response.substring(9, 12));
    }
  }
}
