package io.kiam.server.grpc;

import static io.kiam.server.testing.TestPods.namespace;
import static io.kiam.server.testing.TestPods.running;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.kiam.common.tls.ReloadingTls;
import io.kiam.common.tls.TlsFiles;
import io.kiam.proto.v1.GetPodRoleRequest;
import io.kiam.proto.v1.KiamServiceGrpc;
import io.kiam.server.k8s.NamespaceStore;
import io.kiam.server.k8s.PodStore;
import io.kiam.server.k8s.StaleViewGuard;
import io.kiam.server.roles.PodRoles;
import io.kiam.server.sts.DefaultArnResolver;
import io.kiam.server.testing.FakeCredentials;
import io.kiam.server.testing.RecordedEvents;
import io.kiam.testkit.pki.TestPki;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stale pod view as an agent sees it, through a real stub over mutual TLS: UNAVAILABLE with the
 * reason for an IP not answered before, the old answer for one that was.
 */
@Timeout(30)
class StaleViewStatusTest {
  @TempDir Path dir;

  private final ExecutorService executor = Executors.newFixedThreadPool(4);
  private GrpcServer server;
  private ManagedChannel channel;
  private GrpcMetrics metrics;

  @AfterEach
  void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (server != null) {
      server.shutdown(Duration.ofSeconds(1));
    }
    if (metrics != null) {
      metrics.close();
    }
    executor.shutdownNow();
  }

  @Test
  void aStaleViewAnswersUnavailableWithTheReasonForAnIpItHadNotAnswered() {
    TestPki pki = TestPki.create(dir.resolve("pki"));
    TlsFiles serverFiles = pki.issueServer("kiam-server", List.of("localhost", "127.0.0.1"));
    ReloadingTls serverTls = ReloadingTls.load(serverFiles);
    ReloadingTls clientTls = ReloadingTls.load(pki.issueClient("kiam-agent"));
    PodStore pods = new PodStore(executor);
    NamespaceStore namespaces = new NamespaceStore();
    Namespace shop = namespace("shop", "shop-.*");
    namespaces.put(namespaces.getKey(shop), shop);
    for (Pod pod :
        List.of(
            running("shop", "web", "10.2.0.1", "shop-web"),
            running("shop", "batch", "10.2.0.2", "shop-web"))) {
      pods.put(pods.getKey(pod), pod);
    }
    String[] stale = {null};
    StaleViewGuard guard = new StaleViewGuard(pods, () -> Optional.ofNullable(stale[0]), () -> {});
    metrics = new GrpcMetrics(new PrometheusRegistry());
    KiamGrpcService service =
        new KiamGrpcService(
            guard,
            new PodRoles(
                new DefaultArnResolver("arn:aws:iam::123456789012:role/"),
                (annotation, suffix) -> "kiam-" + suffix,
                "kiam",
                namespaces,
                new RecordedEvents()),
            new FakeCredentials(),
            () -> true,
            Duration.ZERO,
            metrics);
    server =
        new GrpcServer(
            new InetSocketAddress("127.0.0.1", 0),
            serverTls.grpcServerContext(),
            service,
            new ServerHealth(),
            metrics,
            executor);
    server.start();
    channel =
        NettyChannelBuilder.forAddress("127.0.0.1", server.port())
            .sslContext(clientTls.grpcClientContext())
            .build();
    KiamServiceGrpc.KiamServiceBlockingStub stub =
        KiamServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);

    assertEquals(
        "shop-web",
        stub.getPodRole(GetPodRoleRequest.newBuilder().setIp("10.2.0.1").build()).getRole());
    stale[0] = "kiam-server's pods watch has been down for 90s";

    assertEquals(
        "shop-web",
        stub.getPodRole(GetPodRoleRequest.newBuilder().setIp("10.2.0.1").build()).getRole());
    Status status =
        assertThrows(
                StatusRuntimeException.class,
                () -> stub.getPodRole(GetPodRoleRequest.newBuilder().setIp("10.2.0.2").build()))
            .getStatus();
    assertEquals(Status.Code.UNAVAILABLE, status.getCode());
    assertTrue(status.getDescription().contains("pods watch has been down"), status::toString);
  }
}
