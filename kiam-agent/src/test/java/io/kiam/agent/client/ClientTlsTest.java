package io.kiam.agent.client;

import static io.kiam.agent.client.GrpcServerClientTest.codeOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.kiam.agent.testing.FakeKiamServer;
import io.kiam.agent.testing.ProgrammableBackend;
import io.kiam.common.tls.ReloadingTls;
import io.kiam.common.tls.TlsFiles;
import io.kiam.testkit.pki.TestPki;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Which servers the client trusts, and certificate rotation on disk. */
@Timeout(60)
class ClientTlsTest {
  private static final String POD_IP = "10.1.2.3";

  @TempDir Path dir;
  private final List<AutoCloseable> open = new ArrayList<>();
  private final ProgrammableBackend backend =
      new ProgrammableBackend().pod(POD_IP, "shop", "cart-7", "shop-cart");
  private final ClientMetrics metrics = new ClientMetrics(new PrometheusRegistry());

  @AfterEach
  void closeAll() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  @Test
  void refusesAServerWhoseCertificateComesFromAnotherCa() throws Exception {
    TestPki ours = TestPki.create(dir.resolve("ours"));
    TestPki foreign = TestPki.create(dir.resolve("foreign"), "foreign-ca");
    TlsFiles foreignServer = foreign.issueServer("kiam-server", FakeKiamServer.SERVER_NAMES);
    // The impostor trusts our CA for clients, so only the agent's check can refuse it.
    FakeKiamServer impostor =
        started(
            FakeKiamServer.builder(backend)
                .tls(new TlsFiles(foreignServer.cert(), foreignServer.key(), ours.caCert())));
    GrpcServerClient client =
        client(ClientSettings.defaults(impostor.target()), ours.issueClient("agent"));

    assertEquals(Status.Code.UNAVAILABLE, codeOf(client.podRole(POD_IP)));
    assertEquals(0, impostor.calls(), "no call may reach a server we do not trust");
  }

  @Test
  void checksTheServerNameAndAcceptsAnOverrideForIpTargets() throws Exception {
    TestPki pki = TestPki.create(dir.resolve("pki"));
    FakeKiamServer server =
        started(
            FakeKiamServer.builder(backend)
                .tls(pki.issueServer("kiam-server", List.of("kiam-server.kiam.svc"))));
    TlsFiles agent = pki.issueClient("agent");

    GrpcServerClient byIp = client(ClientSettings.defaults(server.target()), agent);
    assertEquals(Status.Code.UNAVAILABLE, codeOf(byIp.podRole(POD_IP)));
    assertEquals(0, server.calls(), "the certificate does not name 127.0.0.1");

    GrpcServerClient named =
        client(
            ClientSettings.defaults(server.target()).withServerName("kiam-server.kiam.svc"), agent);
    assertEquals("shop-cart", named.podRole(POD_IP).get(10, TimeUnit.SECONDS).role());
  }

  @Test
  void newConnectionsUseRotatedFilesSignedByANewCa() throws Exception {
    TestPki oldCa = TestPki.create(dir.resolve("old"), "old-ca");
    TestPki newCa = TestPki.create(dir.resolve("new"), "new-ca");
    Path mount = Files.createDirectories(dir.resolve("mount"));
    TlsFiles mounted =
        new TlsFiles(mount.resolve("tls.crt"), mount.resolve("tls.key"), mount.resolve("ca.crt"));
    install(oldCa.issueClient("agent"), mounted);

    FakeKiamServer oldServer =
        started(
            FakeKiamServer.builder(backend)
                .tls(oldCa.issueServer("kiam-server", FakeKiamServer.SERVER_NAMES))
                .bind(new InetSocketAddress("127.0.0.1", 0)));
    int port = oldServer.port();
    MutableLookup dns = new MutableLookup("127.0.0.1");
    ReloadingTls tls = ReloadingTls.load(mounted);
    open.add(tls);
    GrpcServerClient client =
        connect(
            ClientSettings.defaults(new ServerTarget("kiam-server", port))
                .withCallTimeout(Duration.ofSeconds(2))
                .withResolving(Duration.ofHours(1), Duration.ofMillis(100)),
            tls,
            dns);
    client.podRole(POD_IP).get(10, TimeUnit.SECONDS);

    // Both sides rotate to the new CA: a server that trusts only new-CA clients appears.
    FakeKiamServer newServer =
        started(
            FakeKiamServer.builder(backend)
                .tls(newCa.issueServer("kiam-server", FakeKiamServer.SERVER_NAMES))
                .bind(new InetSocketAddress("127.0.0.2", port)));
    install(newCa.issueClient("agent"), mounted);
    assertTrue(tls.reloadIfChanged(), "the rotated files load");
    dns.set("127.0.0.2");
    oldServer.close();

    Eventually.within(
        Duration.ofSeconds(15), () -> client.podRole(POD_IP).get(5, TimeUnit.SECONDS));
    assertTrue(newServer.calls("GetPodRole") >= 1);
  }

  private static void install(TlsFiles from, TlsFiles to) throws Exception {
    Files.copy(from.cert(), to.cert(), StandardCopyOption.REPLACE_EXISTING);
    Files.copy(from.key(), to.key(), StandardCopyOption.REPLACE_EXISTING);
    Files.copy(from.ca(), to.ca(), StandardCopyOption.REPLACE_EXISTING);
  }

  private FakeKiamServer started(FakeKiamServer.Builder builder) {
    FakeKiamServer server = builder.start();
    open.add(server);
    return server;
  }

  private GrpcServerClient client(ClientSettings settings, TlsFiles files) {
    ReloadingTls tls = ReloadingTls.load(files);
    open.add(tls);
    return connect(settings.withCallTimeout(Duration.ofSeconds(10)), tls, HostLookup.system());
  }

  private GrpcServerClient connect(ClientSettings settings, ReloadingTls tls, HostLookup lookup) {
    GrpcServerClient client = GrpcServerClient.connect(settings, tls, lookup, metrics);
    open.add(client);
    return client;
  }
}
