package io.kiam.testkit.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.kiam.common.tls.ReloadingTls;
import io.kiam.common.tls.TlsException;
import io.kiam.common.tls.TlsExpiryMetric;
import io.kiam.common.tls.TlsFiles;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutual TLS with certificates from TestPki, through the daemons' own ReloadingTls, over real gRPC.
 */
@Timeout(30)
class ReloadingTlsTest {
  @TempDir Path dir;

  private Server server;
  private ReloadingTls serverTls;

  @AfterEach
  void stop() throws InterruptedException {
    if (server != null) {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (serverTls != null) {
      serverTls.close();
    }
  }

  @Test
  void clientSignedByTheCaIsServed() throws Exception {
    TestPki pki = TestPki.create(dir.resolve("pki"));
    startServer(pki.issueServer("server", List.of("localhost", "127.0.0.1")));

    assertEquals(ServingStatus.SERVING, check(pki.issueClient("agent")));
  }

  @Test
  void clientFromAnotherCaIsRefused() throws Exception {
    TestPki pki = TestPki.create(dir.resolve("pki"));
    startServer(pki.issueServer("server", List.of("localhost", "127.0.0.1")));
    TestPki foreign = TestPki.create(dir.resolve("foreign"), "foreign-ca");
    TlsFiles foreignClient = foreign.issueClient("intruder");
    // The intruder trusts our CA (it knows the server) but its own certificate is foreign.
    TlsFiles intruder = new TlsFiles(foreignClient.cert(), foreignClient.key(), pki.caCert());

    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> check(intruder));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
  }

  @Test
  void serverWithTheWrongNameIsRefusedByTheClient() throws Exception {
    TestPki pki = TestPki.create(dir.resolve("pki"));
    startServer(pki.issueServer("server", List.of("kiam-server.example")));

    StatusRuntimeException e =
        assertThrows(StatusRuntimeException.class, () -> check(pki.issueClient("agent")));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
  }

  @Test
  void rotatedFilesAreUsedForNewConnections() throws Exception {
    TestPki oldPki = TestPki.create(dir.resolve("old"), "old-ca");
    TlsFiles mounted = mountedCopy(oldPki.issueServer("server", List.of("127.0.0.1")));
    startServer(mounted);
    TlsFiles oldClient = oldPki.issueClient("agent-old");
    assertEquals(ServingStatus.SERVING, check(oldClient));

    TestPki newPki = TestPki.create(dir.resolve("new"), "new-ca");
    TlsFiles rotated = newPki.issueServer("server", List.of("127.0.0.1"));
    replace(rotated, mounted);
    assertTrue(serverTls.reloadIfChanged());
    assertFalse(serverTls.reloadIfChanged(), "no change, no reload");

    assertEquals(ServingStatus.SERVING, check(newPki.issueClient("agent-new")));
    assertThrows(StatusRuntimeException.class, () -> check(oldClient));
  }

  @Test
  void brokenFilesKeepThePreviousMaterial() throws Exception {
    TestPki pki = TestPki.create(dir.resolve("pki"));
    TlsFiles mounted = mountedCopy(pki.issueServer("server", List.of("127.0.0.1")));
    startServer(mounted);
    Files.writeString(mounted.key(), "-----BEGIN PRIVATE KEY-----\nnot a key\n");

    assertFalse(serverTls.reloadIfChanged());
    assertEquals(ServingStatus.SERVING, check(pki.issueClient("agent")));
  }

  @Test
  void loadFailsClearlyOnAMissingOrMalformedFile() throws Exception {
    TestPki pki = TestPki.create(dir.resolve("pki"));
    TlsFiles good = pki.issueClient("agent");
    TlsFiles missing = new TlsFiles(dir.resolve("nope.crt"), good.key(), good.ca());
    IllegalArgumentException e1 =
        assertThrows(IllegalArgumentException.class, () -> ReloadingTls.load(missing));
    assertTrue(e1.getMessage().contains("--cert") && e1.getMessage().contains("nope.crt"));

    Path garbage = dir.resolve("garbage.crt");
    Files.writeString(garbage, "hello");
    TlsException e2 =
        assertThrows(
            TlsException.class,
            () -> ReloadingTls.load(new TlsFiles(garbage, good.key(), good.ca())));
    assertTrue(e2.getMessage().contains("garbage.crt"), e2.getMessage());

    TlsFiles otherKey = pki.issueClient("other");
    TlsException e3 =
        assertThrows(
            TlsException.class,
            () -> ReloadingTls.load(new TlsFiles(good.cert(), otherKey.key(), good.ca())));
    assertTrue(e3.getMessage().contains("cannot use key"), e3.getMessage());
  }

  @Test
  void acceptsPkcs1RsaKeysAsHelmWritesThem() throws Exception {
    TestPki pki = TestPki.create(dir.resolve("pki"));
    TlsFiles ec = pki.issueClient("agent");
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(2048);
    StringWriter pem = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(pem)) {
      w.writeObject(rsa.generateKeyPair()); // "BEGIN RSA PRIVATE KEY": PKCS#1
    }
    assertTrue(pem.toString().contains("BEGIN RSA PRIVATE KEY"));
    Path rsaKey = dir.resolve("rsa.key");
    Files.writeString(rsaKey, pem.toString());
    // The RSA key does not match the EC certificate: parsing must succeed and pairing fail clearly.
    TlsException e =
        assertThrows(
            TlsException.class, () -> ReloadingTls.load(new TlsFiles(ec.cert(), rsaKey, ec.ca())));
    assertTrue(e.getMessage().contains("cannot use key"), e.getMessage());
  }

  @Test
  void exportsTheCertificatesExpiryAndFollowsARotation() throws Exception {
    TestPki pki = TestPki.create(dir.resolve("pki"));
    TlsFiles mounted = mountedCopy(pki.issue("server", List.of("127.0.0.1"), Duration.ofDays(3)));
    serverTls = ReloadingTls.load(mounted);
    PrometheusRegistry registry = new PrometheusRegistry();
    try (AutoCloseable handle = TlsExpiryMetric.register(registry, serverTls)) {
      double first = expiry(registry);
      assertEquals(serverTls.certificateNotAfter().getEpochSecond(), first, 1.0);
      assertTrue(first > Instant.now().plus(Duration.ofDays(2)).getEpochSecond());

      replace(pki.issue("server", List.of("127.0.0.1"), Duration.ofDays(20)), mounted);
      assertTrue(serverTls.reloadIfChanged());
      assertTrue(
          expiry(registry) > first + Duration.ofDays(10).toSeconds(), "the new expiry shows");
    }
    assertTrue(
        registry.scrape().stream()
            .noneMatch(m -> m.getMetadata().getPrometheusName().equals(TlsExpiryMetric.NAME)),
        "unregistered on close");
  }

  private static double expiry(PrometheusRegistry registry) {
    return registry.scrape().stream()
        .filter(m -> m.getMetadata().getPrometheusName().equals(TlsExpiryMetric.NAME))
        .map(m -> ((GaugeSnapshot) m).getDataPoints().get(0).getValue())
        .findFirst()
        .orElseThrow();
  }

  private void startServer(TlsFiles files) throws Exception {
    serverTls = ReloadingTls.load(files);
    HealthStatusManager health = new HealthStatusManager();
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .sslContext(serverTls.grpcServerContext())
            .addService(health.getHealthService())
            .build()
            .start();
  }

  private ServingStatus check(TlsFiles clientFiles) throws Exception {
    try (ReloadingTls clientTls = ReloadingTls.load(clientFiles)) {
      ManagedChannel channel =
          NettyChannelBuilder.forAddress("127.0.0.1", server.getPort())
              .sslContext(clientTls.grpcClientContext())
              .build();
      try {
        return HealthGrpc.newBlockingStub(channel)
            .withDeadlineAfter(5, TimeUnit.SECONDS)
            .check(HealthCheckRequest.getDefaultInstance())
            .getStatus();
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  private TlsFiles mountedCopy(TlsFiles files) throws Exception {
    Path mount = Files.createDirectories(dir.resolve("mount"));
    TlsFiles copy =
        new TlsFiles(mount.resolve("tls.crt"), mount.resolve("tls.key"), mount.resolve("ca.crt"));
    replace(files, copy);
    return copy;
  }

  private static void replace(TlsFiles from, TlsFiles to) throws Exception {
    Files.copy(from.cert(), to.cert(), StandardCopyOption.REPLACE_EXISTING);
    Files.copy(from.key(), to.key(), StandardCopyOption.REPLACE_EXISTING);
    Files.copy(from.ca(), to.ca(), StandardCopyOption.REPLACE_EXISTING);
  }
}
