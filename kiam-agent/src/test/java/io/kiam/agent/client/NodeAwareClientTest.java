package io.kiam.agent.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiam.agent.testing.FakeKiamServer;
import io.kiam.agent.testing.ProgrammableBackend;
import io.kiam.common.tls.ReloadingTls;
import io.kiam.common.tls.TlsFiles;
import io.kiam.testkit.pki.TestPki;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's memory fed by WatchNode, against real gRPC servers over mutual TLS: the hot path
 * makes no call, an unknown IP costs one, an older server is asked as before, a silent server is
 * left for another one, and with no server at all memory answers only for the grace.
 */
@Timeout(60)
class NodeAwareClientTest {
  private static final String NODE = "node-1";
  private static final String POD_IP = "10.1.2.3";
  private static final Duration LONG_GRACE = Duration.ofMinutes(10);
  private static final Duration HEARTBEAT = Duration.ofMillis(200);

  @TempDir static Path dir;
  private static TestPki pki;
  private static TlsFiles clientTls;

  private final List<AutoCloseable> open = new ArrayList<>();
  private final ClientMetrics metrics = new ClientMetrics(new PrometheusRegistry());
  private int port;

  @BeforeAll
  static void createPki() {
    pki = TestPki.create(dir.resolve("pki"));
    clientTls = pki.issueClient("agent");
  }

  @BeforeEach
  void pickPort() throws Exception {
    try (var socket = new java.net.ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      port = socket.getLocalPort();
    }
  }

  @AfterEach
  void closeAll() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  @Test
  void answersRoleCredentialsAndRefusalsFromMemoryWithoutACall() throws Exception {
    NodeBackend backend =
        backend()
            .permitted(POD_IP, "cart-7", "shop-cart")
            .refused(
                "10.1.2.4", "admin", "admin", "namespace 'shop' permits roles matching 'shop-.*'");
    FakeKiamServer server = server("127.0.0.1", backend);
    NodeAwareClient client = live(client(LONG_GRACE, "127.0.0.1"));
    int before = server.calls();
    long memoryBefore = client.lookups(NodeAwareClient.Source.MEMORY);
    long coldBefore = client.lookups(NodeAwareClient.Source.COLD);
    long unaryBefore = client.lookups(NodeAwareClient.Source.UNARY);

    for (int i = 0; i < 100; i++) {
      assertEquals("shop-cart", client.podRole(POD_IP).get(5, TimeUnit.SECONDS).roleName());
      PodCredentials c = client.podCredentials(POD_IP, "shop-cart").get(5, TimeUnit.SECONDS);
      assertEquals("ASIASHOPCART", c.credentials().accessKeyId());
      assertEquals("cart-7", c.pod().name());
      assertEquals("admin", client.podRole("10.1.2.4").get(5, TimeUnit.SECONDS).roleName());
      ServerFailure refused = failure(client.podCredentials("10.1.2.4", "admin"));
      assertEquals(ServerFailure.Kind.REFUSED, refused.kind());
      assertTrue(refused.explanation().contains("permits roles matching"), refused.explanation());
    }

    assertEquals(before, server.calls(), "no call on the hot path");
    assertEquals(memoryBefore + 400, client.lookups(NodeAwareClient.Source.MEMORY));
    assertEquals(coldBefore, client.lookups(NodeAwareClient.Source.COLD));
    assertEquals(unaryBefore, client.lookups(NodeAwareClient.Source.UNARY));
  }

  @Test
  void anUnknownIpCostsOneCallThatCarriesDecisionAndCredentials() throws Exception {
    NodeBackend backend = backend();
    FakeKiamServer server = server("127.0.0.1", backend);
    NodeAwareClient client = live(client(LONG_GRACE, "127.0.0.1"));
    // Known to the server's cold path but not streamed yet: the stream is told nothing.
    backend.silence();
    backend.permitted("10.1.2.9", "new-pod", "shop-new");

    assertEquals("shop-new", client.podRole("10.1.2.9").get(5, TimeUnit.SECONDS).roleName());
    PodCredentials c = client.podCredentials("10.1.2.9", "shop-new").get(5, TimeUnit.SECONDS);

    assertEquals("ASIASHOPNEW", c.credentials().accessKeyId());
    assertEquals(1, server.calls("GetPodCredentials"));
    assertEquals(0, server.calls("GetPodRole"));
    assertEquals(1, client.lookups(NodeAwareClient.Source.COLD), "the role look-up's one call");
    assertEquals(0, client.lookups(NodeAwareClient.Source.UNARY));
  }

  @Test
  void aRemovedPodIsForgottenAtOnce() throws Exception {
    NodeBackend backend = backend().permitted(POD_IP, "cart-7", "shop-cart");
    server("127.0.0.1", backend);
    NodeAwareClient client = live(client(LONG_GRACE, "127.0.0.1"));
    assertEquals("shop-cart", client.podRole(POD_IP).get(5, TimeUnit.SECONDS).roleName());

    backend.remove(POD_IP);

    Eventually.within(
        Duration.ofSeconds(10),
        () -> {
          assertEquals(ServerFailure.Kind.NO_SUCH_POD, failure(client.podRole(POD_IP)).kind());
          return null;
        });
  }

  @Test
  void anOlderServerWithoutWatchNodeIsAskedAsBefore() throws Exception {
    FakeKiamServer old =
        server("127.0.0.1", new ProgrammableBackend().pod(POD_IP, "shop", "cart-7", "shop-cart"));
    NodeAwareClient client = client(LONG_GRACE, "127.0.0.1");
    Eventually.within(
        Duration.ofSeconds(15),
        () -> {
          assertEquals(NodeView.State.UNSUPPORTED, client.view().state());
          return null;
        });

    assertEquals("shop-cart", client.podRole(POD_IP).get(5, TimeUnit.SECONDS).roleName());
    PodCredentials c = client.podCredentials(POD_IP, "shop-cart").get(5, TimeUnit.SECONDS);

    assertEquals("cart-7", c.pod().name());
    assertEquals(1, old.calls("GetPodRole"));
    assertEquals(1, old.calls("GetPodCredentials"));
    assertEquals(2, client.lookups(NodeAwareClient.Source.UNARY));
    assertEquals(0, client.lookups(NodeAwareClient.Source.MEMORY));
  }

  @Test
  void aSilentServerIsLeftForAnotherWhoseSnapshotReplacesMemory() throws Exception {
    NodeBackend first = backend().permitted(POD_IP, "cart-7", "shop-cart");
    NodeBackend second = backend().permitted(POD_IP, "cart-8", "shop-cart");
    server("127.0.0.1", first);
    NodeAwareClient client = live(client(LONG_GRACE, "127.0.0.1", "127.0.0.2"));
    // Whichever server the stream went to, the other one's snapshot must take over.
    server("127.0.0.2", second);
    first.silence();

    Eventually.within(
        Duration.ofSeconds(30),
        () -> {
          PodCredentials c = client.podCredentials(POD_IP, "shop-cart").get(5, TimeUnit.SECONDS);
          assertEquals("cart-8", c.pod().name());
          assertTrue(client.live());
          return null;
        });
  }

  @Test
  void withNoServerKnownPodsAreAnsweredForTheGrace() throws Exception {
    FakeKiamServer server = server("127.0.0.1", backend().permitted(POD_IP, "cart-7", "shop-cart"));
    NodeAwareClient client = live(client(LONG_GRACE, "127.0.0.1"));

    server.close();
    Eventually.within(
        Duration.ofSeconds(15),
        () -> {
          assertEquals(NodeView.State.DISCONNECTED, client.view().state());
          return null;
        });

    PodCredentials c = client.podCredentials(POD_IP, "shop-cart").get(5, TimeUnit.SECONDS);
    assertEquals("cart-7", c.pod().name());
    ServerFailure unknown = failure(client.podRole("10.1.2.99"));
    assertEquals(ServerFailure.Kind.UNAVAILABLE, unknown.kind(), "a new IP gets 503 at once");
  }

  @Test
  void afterTheGraceKnownPodsGetUnavailableSayingWhy() throws Exception {
    FakeKiamServer server = server("127.0.0.1", backend().permitted(POD_IP, "cart-7", "shop-cart"));
    NodeAwareClient client = live(client(Duration.ZERO, "127.0.0.1"));

    server.close();
    Eventually.within(
        Duration.ofSeconds(15),
        () -> {
          assertEquals(NodeView.State.DISCONNECTED, client.view().state());
          return null;
        });

    ServerFailure failure = failure(client.podCredentials(POD_IP, "shop-cart"));
    assertEquals(ServerFailure.Kind.UNAVAILABLE, failure.kind());
    assertTrue(failure.explanation().contains("--disconnected-grace"), failure.explanation());
  }

  private static ServerFailure failure(CompletableFuture<?> future) {
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> future.get(5, TimeUnit.SECONDS));
    return assertInstanceOf(ServerFailure.class, e.getCause());
  }

  private NodeBackend backend() {
    NodeBackend backend = new NodeBackend();
    open.add(backend);
    return backend;
  }

  private static NodeAwareClient live(NodeAwareClient client) throws Exception {
    return Eventually.within(
        Duration.ofSeconds(15),
        () -> {
          assertTrue(client.live(), "stream not live yet");
          return client;
        });
  }

  private FakeKiamServer server(String ip, FakeKiamServer.Backend backend) {
    FakeKiamServer server =
        FakeKiamServer.builder(backend)
            .tls(pki.issueServer("kiam-server-" + ip, FakeKiamServer.SERVER_NAMES))
            .bind(new InetSocketAddress(ip, port))
            .start();
    open.add(server);
    return server;
  }

  private NodeAwareClient client(Duration grace, String... ips) {
    ReloadingTls tls = ReloadingTls.load(clientTls);
    open.add(tls);
    ClientSettings settings =
        ClientSettings.defaults(new ServerTarget("kiam-server", port))
            .withCallTimeout(Duration.ofSeconds(2))
            .withResolving(Duration.ofMillis(500), Duration.ofMillis(100));
    GrpcServerClient servers =
        GrpcServerClient.connect(settings, tls, new MutableLookup(ips), metrics);
    NodeAwareClient client = NodeAwareClient.start(servers, NODE, grace, HEARTBEAT);
    open.add(client);
    return client;
  }
}
