package io.kiam.agent.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ConnectivityState;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.kiam.agent.testing.FakeKiamServer;
import io.kiam.agent.testing.ProgrammableBackend;
import io.kiam.common.tls.ReloadingTls;
import io.kiam.common.tls.TlsFiles;
import io.kiam.testkit.pki.TestPki;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The client against one real kiam gRPC server over mutual TLS on loopback. */
@Timeout(60)
class GrpcServerClientTest {
  private static final String POD_IP = "10.1.2.3";
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);

  /** Bounds each wait on a call so a failure ends; above {@link #CALL_TIMEOUT}. */
  private static final long WAIT_SECONDS = 15;

  @TempDir static Path dir;
  private static TestPki pki;

  private final List<AutoCloseable> open = new ArrayList<>();
  private final ProgrammableBackend backend =
      new ProgrammableBackend().pod(POD_IP, "shop", "cart-7", "shop-cart");
  private final ClientMetrics metrics = new ClientMetrics(new PrometheusRegistry());

  @BeforeAll
  static void createPki() {
    pki = TestPki.create(dir.resolve("pki"));
  }

  @AfterEach
  void closeAll() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  @Test
  void returnsThePodsRoleAndCredentials() throws Exception {
    FakeKiamServer server = start();
    GrpcServerClient client = ready(client(settings(server), server.clientTls()));

    var role = client.podRole(POD_IP).get(WAIT_SECONDS, TimeUnit.SECONDS);
    assertEquals("shop-cart", role.role());
    assertEquals("cart-7", role.pod().name());
    var credentials =
        client.podCredentials(POD_IP, "shop-cart").get(WAIT_SECONDS, TimeUnit.SECONDS);
    assertEquals("arn:aws:iam::123456789012:role/shop-cart", credentials.credentials().roleArn());
    assertEquals("shop", credentials.pod().namespace());
    assertEquals(1, server.calls("GetPodRole"));
    assertEquals(1, server.calls("GetPodCredentials"));
  }

  @ParameterizedTest
  @EnumSource(
      value = Status.Code.class,
      names = {"NOT_FOUND", "PERMISSION_DENIED", "FAILED_PRECONDITION", "INVALID_ARGUMENT"})
  void surfacesEachFinalStatusCodeWithoutRetrying(Status.Code code) throws Exception {
    FakeKiamServer server = start();
    backend.fail(POD_IP, code, "forced " + code);
    GrpcServerClient client = ready(client(settings(server), server.clientTls()));

    assertEquals(code, codeOf(client.podCredentials(POD_IP, "shop-cart")));
    assertEquals(1, server.calls("GetPodCredentials"), "only UNAVAILABLE is retried");
    assertEquals(1, metrics.errors("GetPodCredentials", code));
  }

  @Test
  void retriesUnavailableUpToMaxAttemptsThenSurfacesIt() throws Exception {
    FakeKiamServer server = start();
    backend.failAll(Status.Code.UNAVAILABLE);
    GrpcServerClient client = ready(client(settings(server), server.clientTls()));

    assertEquals(Status.Code.UNAVAILABLE, codeOf(client.podRole(POD_IP)));
    assertEquals(ClientSettings.DEFAULT_MAX_ATTEMPTS, server.calls("GetPodRole"));
    assertEquals(1, metrics.errors("GetPodRole", Status.Code.UNAVAILABLE));
  }

  @Test
  void failsWithDeadlineExceededWhenTheServerIsSlow() throws Exception {
    FakeKiamServer server = start();
    backend.delay(Duration.ofSeconds(10));
    GrpcServerClient client =
        ready(client(settings(server).withCallTimeout(Duration.ofMillis(300)), server.clientTls()));

    long start = System.nanoTime();
    assertEquals(Status.Code.DEADLINE_EXCEEDED, codeOf(client.podRole(POD_IP)));
    long millis = (System.nanoTime() - start) / 1_000_000;
    // A deadline never fires early; how late it fires depends on the machine's load, and the
    // backend's 10 s delay already shows the client did not wait for the answer.
    assertTrue(millis >= 250, "deadline 300 ms, took " + millis + " ms");
    // Attempts of at most 150 ms each: how many fit depends on how late each deadline fires.
    int attempts = server.calls("GetPodRole");
    assertTrue(attempts >= 1 && attempts <= 2, attempts + " attempts");
    assertEquals(attempts, metrics.errors("GetPodRole", Status.Code.DEADLINE_EXCEEDED));
  }

  @Test
  void healthFollowsTheServersReadiness() throws Exception {
    FakeKiamServer server = start();
    GrpcServerClient client = ready(client(settings(server), server.clientTls()));

    assertTrue(client.healthy().get(WAIT_SECONDS, TimeUnit.SECONDS));
    backend.serving(false);
    assertFalse(client.healthy().get(WAIT_SECONDS, TimeUnit.SECONDS));
    assertEquals(1 + ClientSettings.DEFAULT_MAX_ATTEMPTS, server.calls("GetHealth"));
  }

  @Test
  void unreachableServersAreUnavailableNotAHang() throws Exception {
    FakeKiamServer server = start();
    ClientSettings settings = settings(server);
    TlsFiles clientTls = server.clientTls();
    server.close();
    GrpcServerClient client = client(settings, clientTls);

    assertEquals(Status.Code.UNAVAILABLE, codeOf(client.podRole(POD_IP)));
    assertFalse(client.healthy().get(WAIT_SECONDS, TimeUnit.SECONDS));
  }

  @Test
  void anUnknownServerNameIsUnavailable() throws Exception {
    FakeKiamServer server = start();
    MutableLookup nowhere = new MutableLookup();
    GrpcServerClient client =
        client(
            ClientSettings.defaults(new ServerTarget("kiam-server", server.port())),
            server.clientTls(),
            nowhere);

    assertEquals(Status.Code.UNAVAILABLE, codeOf(client.podRole(POD_IP)));
    assertTrue(nowhere.lookups() >= 1);
  }

  @Test
  void cancellingTheFutureCancelsTheServerCall() throws Exception {
    FakeKiamServer server = start();
    GrpcServerClient client = ready(client(settings(server), server.clientTls()));
    backend.delay(Duration.ofSeconds(10));

    CompletableFuture<?> call = client.podRole(POD_IP);
    call.cancel(true);
    assertTrue(call.isCancelled());
    Eventually.within(
        Duration.ofSeconds(5),
        () -> {
          assertEquals(1, metrics.errors("GetPodRole", Status.Code.CANCELLED));
          return null;
        });
  }

  static Status.Code codeOf(CompletableFuture<?> future) throws Exception {
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> future.get(WAIT_SECONDS, TimeUnit.SECONDS));
    ServerFailure failure = assertInstanceOf(ServerFailure.class, e.getCause());
    return assertInstanceOf(StatusRuntimeException.class, failure.getCause()).getStatus().getCode();
  }

  private FakeKiamServer start() {
    FakeKiamServer server = FakeKiamServer.start(pki, backend);
    open.add(server);
    return server;
  }

  /**
   * The defaults but a call timeout far above any answer's time on a loaded machine: these tests
   * assert codes and attempt counts, and under the default 800 ms a slow answer (a cold JVM's first
   * call at load 20) became an attempt's DEADLINE_EXCEEDED and a retry, failing them by chance.
   * Deadlines are what {@link #failsWithDeadlineExceededWhenTheServerIsSlow} tests, with its own
   * timeout.
   */
  private static ClientSettings settings(FakeKiamServer server) {
    return ClientSettings.defaults(server.target()).withCallTimeout(CALL_TIMEOUT);
  }

  /** Waits for the connection, so that a cold JVM's first TLS handshake is not timed as a call. */
  static GrpcServerClient ready(GrpcServerClient client) throws Exception {
    return Eventually.within(
        Duration.ofSeconds(10),
        () -> {
          assertEquals(ConnectivityState.READY, client.state());
          return client;
        });
  }

  private GrpcServerClient client(ClientSettings settings, TlsFiles files) {
    return client(settings, files, HostLookup.system());
  }

  private GrpcServerClient client(ClientSettings settings, TlsFiles files, HostLookup lookup) {
    ReloadingTls tls = ReloadingTls.load(files);
    open.add(tls);
    GrpcServerClient client = GrpcServerClient.connect(settings, tls, lookup, metrics);
    open.add(client);
    return client;
  }
}
