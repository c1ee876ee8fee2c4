package io.kiam.agent.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several real servers behind one name, the way a headless Service's DNS name lists every
 * kiam-server pod: 127.0.0.1, 127.0.0.2 and 127.0.0.3 on one port, and a look-up the test changes
 * as DNS would when pods come and go.
 */
@Timeout(60)
class ServerFailoverTest {
  private static final String POD_IP = "10.1.2.3";
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(2);

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
  void spreadsCallsAcrossEveryServer() throws Exception {
    FakeKiamServer a = server("127.0.0.1", backend());
    FakeKiamServer b = server("127.0.0.2", backend());
    GrpcServerClient client = client(new MutableLookup("127.0.0.1", "127.0.0.2"), settings());
    bothConnected(client, a, b);

    for (int i = 0; i < 10; i++) {
      client.podRole(POD_IP).get(5, TimeUnit.SECONDS);
    }
    assertTrue(a.calls("GetPodRole") >= 3, "a got " + a.calls("GetPodRole") + " of 10");
    assertTrue(b.calls("GetPodRole") >= 3, "b got " + b.calls("GetPodRole") + " of 10");
  }

  @Test
  void retriesUnavailableOnTheOtherServer() throws Exception {
    FakeKiamServer a = server("127.0.0.1", backend().failAll(Status.Code.UNAVAILABLE));
    FakeKiamServer b = server("127.0.0.2", backend());
    GrpcServerClient client = client(new MutableLookup("127.0.0.1", "127.0.0.2"), settings());
    bothConnected(client, a, b);

    for (int i = 0; i < 10; i++) {
      var answer = client.podCredentials(POD_IP, "shop-cart").get(5, TimeUnit.SECONDS);
      assertEquals("shop-cart-pod", answer.pod().name());
    }
    assertEquals(10, b.calls("GetPodCredentials"));
    assertTrue(a.calls("GetPodCredentials") >= 1, "round robin sent some first attempts to a");
    assertEquals(0, metrics.errors("GetPodCredentials", Status.Code.UNAVAILABLE));
  }

  @Test
  void aServerThatHangsCostsOneAttemptAndTheNextServerAnswers() throws Exception {
    FakeKiamServer a = server("127.0.0.1", backend().delay(Duration.ofSeconds(30)));
    FakeKiamServer b = server("127.0.0.2", backend());
    // 5 s per call, so 2.5 s per attempt: the second attempt has time however late the first
    // attempt's deadline fires on a loaded machine.
    GrpcServerClient client =
        client(
            new MutableLookup("127.0.0.1", "127.0.0.2"),
            settings().withCallTimeout(Duration.ofSeconds(5)));
    bothConnected(client, a, b);

    for (int i = 0; i < 4; i++) {
      var answer = client.podCredentials(POD_IP, "shop-cart").get(10, TimeUnit.SECONDS);
      assertEquals("shop-cart-pod", answer.pod().name());
    }
    assertEquals(4, b.calls("GetPodCredentials"));
    assertTrue(a.calls("GetPodCredentials") >= 1, "round robin sent some attempts to a");
    assertEquals(
        a.calls("GetPodCredentials"),
        metrics.errors("GetPodCredentials", Status.Code.DEADLINE_EXCEEDED));
  }

  /**
   * The bad interleaving of issue 10, made to happen: a cold call's first attempt goes to a server
   * that went silent (accepts, never answers), another call takes round robin's next turn while it
   * waits (as the node stream's re-subscription does), and the timed-out call's second attempt must
   * still go to the live server, not to "the next in turn", which is the silent one again.
   */
  @Test
  @Disabled(
      "Fails by chance: it assumes the interleaving call takes the live server's turn, but"
          + " SkipTriedBalancer's shared turn does not move past a skipped server, so that call can"
          + " land on the silent one (CI run K, and quiet runs). To be rewritten to drive the turn"
          + " explicitly.")
  void theAttemptAfterATimeoutSkipsTheSilentServerWhateverTheTurn() throws Exception {
    FakeKiamServer behind = server("127.0.0.3", backend());
    BlackholeRelay silent =
        new BlackholeRelay(
            new InetSocketAddress("127.0.0.1", port), new InetSocketAddress("127.0.0.3", port));
    open.add(silent);
    FakeKiamServer live = server("127.0.0.2", backend());
    // 5 s per attempt: the interleaving call below is answered long before the first attempt's
    // deadline, however loaded the machine.
    GrpcServerClient client =
        client(
            new MutableLookup("127.0.0.1", "127.0.0.2"),
            settings().withCallTimeout(Duration.ofSeconds(10)));
    bothConnected(client, behind, live);
    silent.silence();

    for (int round = 0; round < 2; round++) {
      CompletableFuture<PodCredentials> cold = coldCallWaitingOn(silent, client);
      int liveBefore = live.calls("GetPodCredentials");
      int rolesBefore = live.calls("GetPodRole");
      // Takes the next turn while the cold call's first attempt waits, as the node stream's
      // re-subscription did: plain round robin's next turn after it is the silent server.
      // Bounded past a whole call (10 s), so only a hang fails here: on a machine kept busy by
      // other builds this call can be slow, or land on the silent server first and retry.
      assertEquals("shop-cart", client.podRole(POD_IP).get(15, TimeUnit.SECONDS).role());
      assertEquals(rolesBefore + 1, live.calls("GetPodRole"), "the live server took the turn");

      assertEquals("shop-cart-pod", cold.get(25, TimeUnit.SECONDS).pod().name());
      assertEquals(liveBefore + 1, live.calls("GetPodCredentials"));
    }
    assertEquals(0, behind.calls("GetPodCredentials"), "the silent server answered nothing");
    assertEquals(2, metrics.errors("GetPodCredentials", Status.Code.DEADLINE_EXCEEDED));
  }

  @Test
  void keepsAnsweringWhenAServerDies() throws Exception {
    FakeKiamServer a = server("127.0.0.1", backend());
    FakeKiamServer b = server("127.0.0.2", backend());
    GrpcServerClient client = client(new MutableLookup("127.0.0.1", "127.0.0.2"), settings());
    bothConnected(client, a, b);
    int before = b.calls("GetPodRole");

    a.close();
    for (int i = 0; i < 10; i++) {
      assertEquals("shop-cart", client.podRole(POD_IP).get(5, TimeUnit.SECONDS).role());
    }
    assertEquals(before + 10, b.calls("GetPodRole"));
  }

  @Test
  void followsTheServersToNewAddressesWhenTheOldOnesGo() throws Exception {
    FakeKiamServer a = server("127.0.0.1", backend());
    MutableLookup dns = new MutableLookup("127.0.0.1");
    // The timer is out of the picture: only the failure of the old server may trigger a look-up.
    GrpcServerClient client =
        client(dns, settings().withResolving(Duration.ofHours(1), Duration.ofMillis(100)));
    client.podRole(POD_IP).get(10, TimeUnit.SECONDS);

    FakeKiamServer c = server("127.0.0.3", backend());
    dns.set("127.0.0.3");
    a.close();
    Eventually.within(
        Duration.ofSeconds(10), () -> client.podRole(POD_IP).get(5, TimeUnit.SECONDS));
    for (int i = 0; i < 5; i++) {
      client.podRole(POD_IP).get(5, TimeUnit.SECONDS);
    }
    assertTrue(c.calls("GetPodRole") >= 6, "c got " + c.calls("GetPodRole"));
    assertTrue(dns.lookups() >= 2);
  }

  @Test
  void findsNewServersOnTheResolveTimer() throws Exception {
    FakeKiamServer a = server("127.0.0.1", backend());
    MutableLookup dns = new MutableLookup("127.0.0.1");
    GrpcServerClient client =
        client(dns, settings().withResolving(Duration.ofMillis(300), Duration.ofMillis(100)));
    client.podRole(POD_IP).get(10, TimeUnit.SECONDS);

    FakeKiamServer b = server("127.0.0.2", backend());
    dns.set("127.0.0.1", "127.0.0.2");
    Eventually.within(
        Duration.ofSeconds(10),
        () -> {
          client.podRole(POD_IP).get(5, TimeUnit.SECONDS);
          assertTrue(b.calls("GetPodRole") > 0, "no call reached the new server yet");
          return null;
        });
    assertTrue(a.calls("GetPodRole") >= 1);
  }

  @Test
  void aServersMaximumConnectionAgeMakesTheAgentLookAgain() throws Exception {
    // The real server closes connections after an age; that alone must lead to new servers.
    FakeKiamServer a =
        started(
            FakeKiamServer.builder(backend())
                .tls(pki.issueServer("kiam-server-aged", FakeKiamServer.SERVER_NAMES))
                .bind(new InetSocketAddress("127.0.0.1", port))
                .maxConnectionAge(Duration.ofMillis(500)));
    MutableLookup dns = new MutableLookup("127.0.0.1");
    GrpcServerClient client =
        client(dns, settings().withResolving(Duration.ofHours(1), Duration.ofMillis(100)));
    client.podRole(POD_IP).get(10, TimeUnit.SECONDS);

    FakeKiamServer b = server("127.0.0.2", backend());
    dns.set("127.0.0.1", "127.0.0.2");
    Eventually.within(
        Duration.ofSeconds(15),
        () -> {
          client.podRole(POD_IP).get(5, TimeUnit.SECONDS);
          assertTrue(b.calls("GetPodRole") > 0, "no call reached the new server yet");
          return null;
        });
    assertTrue(a.calls("GetPodRole") >= 1);
  }

  /**
   * A credentials call whose first attempt waits on the silent server. Where round robin's turn is
   * depends on what came before, so a call the live server answered at once is asked again: with
   * nothing else on the channel the turn moves on, and the next call goes to the silent one.
   */
  private static CompletableFuture<PodCredentials> coldCallWaitingOn(
      BlackholeRelay silent, GrpcServerClient client) throws Exception {
    for (int tries = 0; tries < 4; tries++) {
      long before = silent.swallowed();
      CompletableFuture<PodCredentials> cold = client.podCredentials(POD_IP, "shop-cart");
      Eventually.within(
          Duration.ofSeconds(5),
          () -> {
            assertTrue(cold.isDone() || silent.swallowed() > before, "the call reached no server");
            return null;
          });
      if (!cold.isDone()) {
        return cold;
      }
      assertEquals("shop-cart-pod", cold.get().pod().name(), "answered by the live server");
    }
    throw new AssertionError("round robin never sent a first attempt to the silent server");
  }

  private static ProgrammableBackend backend() {
    return new ProgrammableBackend().pod(POD_IP, "shop", "shop-cart-pod", "shop-cart");
  }

  private ClientSettings settings() {
    return ClientSettings.defaults(new ServerTarget("kiam-server", port))
        .withCallTimeout(CALL_TIMEOUT);
  }

  /** Health calls until each server has answered one, so both connections are up. */
  private static void bothConnected(GrpcServerClient client, FakeKiamServer a, FakeKiamServer b)
      throws Exception {
    Eventually.within(
        Duration.ofSeconds(15),
        () -> {
          client.healthy().get(5, TimeUnit.SECONDS);
          assertTrue(a.calls("GetHealth") > 0 && b.calls("GetHealth") > 0, "not both connected");
          return null;
        });
  }

  private FakeKiamServer server(String ip, ProgrammableBackend backend) {
    return started(
        FakeKiamServer.builder(backend)
            .tls(pki.issueServer("kiam-server-" + ip, FakeKiamServer.SERVER_NAMES))
            .bind(new InetSocketAddress(ip, port)));
  }

  private FakeKiamServer started(FakeKiamServer.Builder builder) {
    FakeKiamServer server = builder.start();
    open.add(server);
    return server;
  }

  private GrpcServerClient client(HostLookup lookup, ClientSettings settings) {
    ReloadingTls tls = ReloadingTls.load(clientTls);
    open.add(tls);
    GrpcServerClient client = GrpcServerClient.connect(settings, tls, lookup, metrics);
    open.add(client);
    return client;
  }
}
