package io.kiam.server;

import static io.kiam.server.testing.TestPods.namespace;
import static io.kiam.server.testing.TestPods.running;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.kiam.common.logging.LogFormat;
import io.kiam.common.tls.ReloadingTls;
import io.kiam.common.tls.TlsFiles;
import io.kiam.proto.v1.GetPodCredentialsRequest;
import io.kiam.proto.v1.GetPodCredentialsResponse;
import io.kiam.proto.v1.KiamServiceGrpc;
import io.kiam.server.k8s.PodInfo;
import io.kiam.server.sts.DefaultArnResolver;
import io.kiam.server.sts.RoleRequest;
import io.kiam.server.testing.FakeCredentials;
import io.kiam.server.testing.MockApiCleanup;
import io.kiam.testkit.pki.TestPki;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole server as main wires it (real informers against the mock API server, real gRPC over
 * mutual TLS, real metrics endpoint), with a hand-written credentials source in place of STS.
 */
@EnableKubernetesMockClient(crud = true)
@Timeout(60)
class KiamServerIT {
  private static final String BASE = "arn:aws:iam::123456789012:role/";

  // instance fields: each test gets an API server of its own, so that no state or stalled
  // clean-up of one test reaches the next
  KubernetesMockServer mock;
  KubernetesClient client;

  @TempDir Path dir;
  private TlsFiles serverTls;
  private ReloadingTls clientTls;
  private final FakeCredentials credentials = new FakeCredentials();
  private KiamServer server;
  private ManagedChannel channel;

  @BeforeEach
  void pki() {
    TestPki pki = TestPki.create(dir.resolve("pki"));
    serverTls = pki.issueServer("kiam-server", List.of("127.0.0.1"));
    clientTls = ReloadingTls.load(pki.issueClient("kiam-agent"));
    client.namespaces().resource(namespace("shop", "shop-.*")).create();
  }

  @AfterEach
  void cleanUp() {
    if (channel != null) {
      channel.shutdownNow();
    }
    client.v1().events().inAnyNamespace().delete();
    MockApiCleanup.deleteAllBeforeClosing(client, server);
    if (server != null) {
      server.close();
    }
  }

  private ServerConfig config(InetSocketAddress bind, Optional<InetSocketAddress> metrics) {
    return new ServerConfig(
        bind,
        Optional.empty(),
        serverTls,
        Optional.of(BASE),
        false,
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        "kiam",
        Duration.ofMinutes(60),
        Duration.ofMinutes(30),
        Duration.ofMillis(300),
        metrics,
        LogFormat.TEXT,
        "info",
        Duration.ofSeconds(5));
  }

  private KiamServer build(ServerConfig config, PrometheusRegistry registry) {
    return KiamServer.builder(config)
        .kubernetesClient(client)
        .arnResolver(new DefaultArnResolver(BASE))
        .sessionNamer((annotation, suffix) -> "kiam-" + (annotation == null ? suffix : annotation))
        .credentials(usage -> credentials)
        .registry(registry)
        .instance("kiam-server-it")
        .build();
  }

  private KiamServiceGrpc.KiamServiceBlockingStub stub() {
    channel =
        NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort())
            .sslContext(clientTls.grpcClientContext())
            .build();
    return KiamServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private ServingStatus health() {
    return HealthGrpc.newBlockingStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .check(HealthCheckRequest.getDefaultInstance())
        .getStatus();
  }

  private CompletableFuture<PodInfo> deletion(String name) {
    CompletableFuture<PodInfo> gone = new CompletableFuture<>();
    server
        .pods()
        .addListener(
            (before, after) -> {
              if (after == null && before.name().equals(name)) {
                gone.complete(before);
              }
            });
    return gone;
  }

  @Test
  void servesAPodFromPrefetchToDeletionAndReportsMetrics() throws Exception {
    server =
        build(
            config(
                new InetSocketAddress("127.0.0.1", 0),
                Optional.of(new InetSocketAddress("127.0.0.1", 0))),
            PrometheusRegistry.defaultRegistry);
    server.start();
    server.start(); // idempotent
    server.synced().get(20, TimeUnit.SECONDS);
    KiamServiceGrpc.KiamServiceBlockingStub stub = stub();
    assertEquals(ServingStatus.SERVING, health());

    Pod pod =
        client
            .pods()
            .inNamespace("shop")
            .resource(running("shop", "web", "10.4.0.1", "shop-web"))
            .create();

    RoleRequest prefetched = credentials.prefetches.poll(10, TimeUnit.SECONDS);
    assertEquals(new RoleRequest(BASE + "shop-web", "kiam-kiam", Optional.empty()), prefetched);
    GetPodCredentialsResponse response =
        stub.getPodCredentials(
            GetPodCredentialsRequest.newBuilder().setIp("10.4.0.1").setRole("shop-web").build());
    assertEquals(BASE + "shop-web", response.getCredentials().getRoleArn());
    assertTrue(server.roleUsage().inUse(prefetched));

    String metrics =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.metricsPort() + "/metrics"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    assertTrue(metrics.contains("kiam_server_pods 1"), metrics);
    assertTrue(
        metrics.contains(
            "kiam_server_grpc_calls_total{code=\"OK\",method=\"GetPodCredentials\"} 1"),
        metrics);
    assertTrue(metrics.contains("kiam_server_decisions_total{outcome=\"allowed\"} 1"), metrics);

    CompletableFuture<PodInfo> gone = deletion("web");
    client.pods().resource(pod).delete();
    gone.get(10, TimeUnit.SECONDS);
    assertFalse(server.roleUsage().inUse(prefetched), "no live pod uses the role any more");
    Status status =
        assertThrows(
                StatusRuntimeException.class,
                () ->
                    stub.getPodCredentials(
                        GetPodCredentialsRequest.newBuilder()
                            .setIp("10.4.0.1")
                            .setRole("shop-web")
                            .build()))
            .getStatus();
    assertEquals(Status.Code.NOT_FOUND, status.getCode());
  }

  @Test
  void forbiddenRoleIsNeverPrefetchedAndItsRefusalBecomesAnEvent() throws Exception {
    server =
        build(
            config(new InetSocketAddress("127.0.0.1", 0), Optional.empty()),
            new PrometheusRegistry());
    server.start();
    server.synced().get(20, TimeUnit.SECONDS);
    KiamServiceGrpc.KiamServiceBlockingStub stub = stub();
    client
        .pods()
        .inNamespace("shop")
        .resource(running("shop", "sneaky", "10.4.0.2", "billing-admin"))
        .create();

    // The pod-start wait covers the watch delivering the pod.
    Status status =
        assertThrows(
                StatusRuntimeException.class,
                () ->
                    stub.getPodCredentials(
                        GetPodCredentialsRequest.newBuilder()
                            .setIp("10.4.0.2")
                            .setRole("billing-admin")
                            .build()))
            .getStatus();

    assertEquals(Status.Code.PERMISSION_DENIED, status.getCode());
    assertTrue(credentials.prefetched.isEmpty(), credentials.prefetched.toString());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (client.v1().events().inNamespace("shop").list().getItems().stream()
        .noneMatch(e -> e.getReason().equals("KiamRoleForbidden"))) {
      assertTrue(System.nanoTime() < deadline, "no KiamRoleForbidden event was written");
      TimeUnit.MILLISECONDS.sleep(20);
    }
  }

  @Test
  void podsThatExistedBeforeStartAndPodsInANewlyPermittedNamespaceArePrefetched() throws Exception {
    client
        .pods()
        .inNamespace("shop")
        .resource(running("shop", "old", "10.4.0.4", "shop-old"))
        .create();
    client.namespaces().resource(namespace("later", null)).create();
    client
        .pods()
        .inNamespace("later")
        .resource(running("later", "app", "10.4.0.5", "later-app"))
        .create();
    server =
        build(
            config(new InetSocketAddress("127.0.0.1", 0), Optional.empty()),
            new PrometheusRegistry());
    server.start();
    server.synced().get(20, TimeUnit.SECONDS);

    assertEquals(BASE + "shop-old", credentials.prefetches.poll(10, TimeUnit.SECONDS).roleArn());
    assertTrue(credentials.prefetched.stream().noneMatch(r -> r.roleArn().endsWith("later-app")));

    client
        .namespaces()
        .withName("later")
        .edit(
            n -> {
              n.getMetadata()
                  .setAnnotations(java.util.Map.of("iam.amazonaws.com/permitted", "later-.*"));
              return n;
            });

    assertEquals(BASE + "later-app", credentials.prefetches.poll(10, TimeUnit.SECONDS).roleArn());
  }

  @Test
  void closeTurnsHealthNotServingAndLetsInFlightCallsFinish() throws Exception {
    server =
        build(
            config(new InetSocketAddress("127.0.0.1", 0), Optional.empty()),
            new PrometheusRegistry());
    server.start();
    server.synced().get(20, TimeUnit.SECONDS);
    KiamServiceGrpc.KiamServiceBlockingStub stub = stub();
    client
        .pods()
        .inNamespace("shop")
        .resource(running("shop", "slow", "10.4.0.3", "shop-slow"))
        .create();
    credentials.prefetches.poll(10, TimeUnit.SECONDS);
    assertEquals(ServingStatus.SERVING, health()); // the connection is up before the slow call
    credentials.delayAnswers(Duration.ofMillis(700));

    CompletableFuture<GetPodCredentialsResponse> inFlight =
        CompletableFuture.supplyAsync(
            () ->
                stub.getPodCredentials(
                    GetPodCredentialsRequest.newBuilder()
                        .setIp("10.4.0.3")
                        .setRole("shop-slow")
                        .build()));
    TimeUnit.MILLISECONDS.sleep(200);
    CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);

    assertEquals("slow", inFlight.get(10, TimeUnit.SECONDS).getPod().getName());
    closing.get(10, TimeUnit.SECONDS);
    server.awaitClosed();
    StatusRuntimeException after = assertThrows(StatusRuntimeException.class, this::health);
    assertEquals(Status.Code.UNAVAILABLE, after.getStatus().getCode());
  }

  @Test
  void failedStartUndoesWhatItBegan() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      server =
          build(
              config(new InetSocketAddress("127.0.0.1", taken.getLocalPort()), Optional.empty()),
              new PrometheusRegistry());

      UncheckedIOException e = assertThrows(UncheckedIOException.class, server::start);

      assertTrue(e.getMessage().startsWith("--bind"), e.getMessage());
      assertFalse(
          Thread.getAllStackTraces().keySet().stream()
              .anyMatch(t -> t.getName().startsWith("kiam-grpc-") && t.isAlive()),
          "the request threads were stopped");
    }
  }

  @Test
  void plainTextHealthPortFollowsTheServerFromStartToClose() throws Exception {
    ServerConfig tlsOnly = config(new InetSocketAddress("127.0.0.1", 0), Optional.empty());
    ServerConfig withHealthPort =
        new ServerConfig(
            tlsOnly.bind(),
            tlsOnly.kubeconfig(),
            tlsOnly.tls(),
            tlsOnly.roleBaseArn(),
            tlsOnly.roleBaseArnAutodetect(),
            tlsOnly.assumeRoleArn(),
            tlsOnly.region(),
            tlsOnly.stsEndpoint(),
            tlsOnly.session(),
            tlsOnly.sessionDuration(),
            tlsOnly.sessionRefresh(),
            tlsOnly.podWait(),
            tlsOnly.prometheusListen(),
            tlsOnly.logFormat(),
            tlsOnly.level(),
            tlsOnly.shutdownGrace(),
            tlsOnly.stsPacing(),
            tlsOnly.watchStaleAfter(),
            Optional.of(new InetSocketAddress("127.0.0.1", 0)));
    server = build(withHealthPort, new PrometheusRegistry());
    server.start();
    server.synced().get(20, TimeUnit.SECONDS);
    ManagedChannel plain =
        NettyChannelBuilder.forAddress("127.0.0.1", server.healthPort()).usePlaintext().build();
    try {
      HealthGrpc.HealthBlockingStub probe =
          HealthGrpc.newBlockingStub(plain).withDeadlineAfter(10, TimeUnit.SECONDS);
      assertEquals(
          ServingStatus.SERVING, probe.check(HealthCheckRequest.getDefaultInstance()).getStatus());
      server.close();
      // closed: the probe fails, whether by NOT_SERVING or a refused connection
      assertThrows(
          StatusRuntimeException.class,
          () ->
              HealthGrpc.newBlockingStub(plain)
                  .withDeadlineAfter(10, TimeUnit.SECONDS)
                  .check(HealthCheckRequest.getDefaultInstance()));
    } finally {
      plain.shutdownNow();
    }
  }
}
