package io.kiam.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiam.common.cli.KiamCli;
import io.kiam.common.tls.ReloadingTls;
import io.kiam.common.tls.TlsFiles;
import io.kiam.server.events.PodEvents;
import io.kiam.server.grpc.GrpcMetrics;
import io.kiam.server.grpc.GrpcServer;
import io.kiam.server.grpc.KiamGrpcService;
import io.kiam.server.grpc.ServerHealth;
import io.kiam.server.k8s.NamespaceStore;
import io.kiam.server.k8s.PodStore;
import io.kiam.server.roles.PodRoles;
import io.kiam.server.sts.DefaultArnResolver;
import io.kiam.server.testing.FakeCredentials;
import io.kiam.testkit.pki.TestPki;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code kiam-server health} against a real gRPC server over mutual TLS: exit 0 only if SERVING.
 */
@Timeout(30)
class HealthCommandTest {
  @TempDir static Path dir;
  private static TlsFiles client;
  private static TlsFiles foreign;
  private static ServerHealth health;
  private static GrpcServer server;
  private static ExecutorService executor;

  @BeforeAll
  static void start() {
    TestPki pki = TestPki.create(dir.resolve("pki"));
    TlsFiles serverFiles = pki.issueServer("kiam-server", List.of("127.0.0.1"));
    client = pki.issueClient("probe");
    TlsFiles intruder =
        TestPki.create(dir.resolve("foreign"), "foreign-ca").issueClient("intruder");
    foreign = new TlsFiles(intruder.cert(), intruder.key(), pki.caCert());
    executor = Executors.newFixedThreadPool(2);
    PodStore pods = new PodStore(executor);
    health = new ServerHealth();
    GrpcMetrics metrics = new GrpcMetrics(new PrometheusRegistry());
    KiamGrpcService service =
        new KiamGrpcService(
            pods,
            new PodRoles(
                new DefaultArnResolver("arn:aws:iam::123456789012:role/"),
                (a, s) -> "kiam-" + s,
                "kiam",
                new NamespaceStore(),
                PodEvents.none()),
            new FakeCredentials(),
            () -> true,
            Duration.ZERO,
            metrics);
    server =
        new GrpcServer(
            new InetSocketAddress("127.0.0.1", 0),
            ReloadingTls.load(serverFiles).grpcServerContext(),
            service,
            health,
            metrics,
            executor);
    server.start();
  }

  @AfterAll
  static void stop() {
    server.shutdown(Duration.ofSeconds(1));
    executor.shutdownNow();
  }

  private static String[] args(TlsFiles tls, int port) {
    return new String[] {
      "health",
      "--server-address",
      "127.0.0.1:" + port,
      "--cert",
      tls.cert().toString(),
      "--key",
      tls.key().toString(),
      "--ca",
      tls.ca().toString(),
      "--timeout",
      "5s"
    };
  }

  private static int run(StringWriter out, StringWriter err, String... args) {
    CommandLine cli = KiamCli.commandLine("kiam-server", new ServerCommand());
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    return cli.execute(args);
  }

  @Test
  void exitsOneWhileNotServingAndZeroOnceServing() {
    StringWriter out = new StringWriter();
    assertEquals(1, run(out, new StringWriter(), args(client, server.port())));
    assertTrue(out.toString().contains("NOT_SERVING"), out.toString());

    health.serving();
    StringWriter after = new StringWriter();

    assertEquals(0, run(after, new StringWriter(), args(client, server.port())));
    assertTrue(after.toString().contains("SERVING"), after.toString());
  }

  @Test
  void exitsOneWithOneLineWhenTheServerRefusesTheCertificate() {
    StringWriter err = new StringWriter();

    assertEquals(1, run(new StringWriter(), err, args(foreign, server.port())));
    assertEquals(1, err.toString().strip().lines().count(), err.toString());
    assertTrue(err.toString().startsWith("kiam-server health: 127.0.0.1:"), err.toString());
  }

  @Test
  void exitsOneWhenNothingListens() throws Exception {
    int closedPort;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    StringWriter err = new StringWriter();

    assertEquals(1, run(new StringWriter(), err, args(client, closedPort)));
    assertTrue(err.toString().contains("UNAVAILABLE"), err.toString());
  }
}
