package io.kiam.chart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fabric8.kubernetes.api.model.Secret;
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
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chart's generated certificates loaded by kiam-common's ReloadingTls, as the daemons load
 * them, and used for real mutual-TLS gRPC on loopback: agent to server by the Service name, and the
 * server's health probe to itself by 127.0.0.1.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MutualTlsHandshakeTest {
  private static final Rendered DEFAULTS = KiamChart.render("");
  private static final String SERVICE_NAME = "kiam-server.kiam-system.svc.cluster.local";

  @TempDir static Path dir;
  private static ReloadingTls serverTls;
  private static Server server;

  @BeforeAll
  static void startServerWithTheChartsServerCertificate() throws IOException {
    serverTls =
        ReloadingTls.load(secret(DEFAULTS, "kiam-server-tls").writeTo(dir.resolve("server")));
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .sslContext(serverTls.grpcServerContext())
            .addService(new HealthStatusManager().getHealthService())
            .build()
            .start();
  }

  @AfterAll
  static void stop() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    serverTls.close();
  }

  @Test
  void agentReachesTheServerByItsServiceName() {
    assertEquals(ServingStatus.SERVING, check("kiam-agent-tls", DEFAULTS, SERVICE_NAME));
  }

  @Test
  void healthProbeReachesItsOwnServerByLoopbackAddress() {
    assertEquals(ServingStatus.SERVING, check("kiam-server-tls", DEFAULTS, "127.0.0.1"));
  }

  @Test
  void aNameMissingFromTheCertificateIsRefused() {
    StatusRuntimeException e =
        assertThrows(
            StatusRuntimeException.class,
            () -> check("kiam-agent-tls", DEFAULTS, "kiam-server.other-namespace.svc"));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
  }

  @Test
  void anAgentOfAnotherInstallIsRefused() {
    // a second render draws a new CA: its agent certificate must not get in
    Rendered other = KiamChart.render("clusterDomain: cluster.local\n");
    StatusRuntimeException e =
        assertThrows(
            StatusRuntimeException.class, () -> check("kiam-agent-tls", other, SERVICE_NAME));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
  }

  private static ServingStatus check(String clientSecret, Rendered from, String authority) {
    Path clientDir =
        dir.resolve(clientSecret + "-" + System.identityHashCode(from) + "-" + authority);
    TlsSecret client = secret(from, clientSecret);
    // the client trusts this install's CA whatever install its own certificate comes from
    TlsSecret trusting =
        new TlsSecret(client.certPem(), client.keyPem(), secret(DEFAULTS, "kiam-ca").certPem());
    try (ReloadingTls clientTls = ReloadingTls.load(trusting.writeTo(clientDir))) {
      ManagedChannel channel =
          NettyChannelBuilder.forAddress(
                  new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getPort()))
              .overrideAuthority(authority)
              .sslContext(clientTls.grpcClientContext())
              .build();
      try {
        return HealthGrpc.newBlockingStub(channel)
            .withDeadlineAfter(5, TimeUnit.SECONDS)
            .check(HealthCheckRequest.getDefaultInstance())
            .getStatus();
      } finally {
        channel.shutdownNow();
      }
    }
  }

  private static TlsSecret secret(Rendered rendered, String name) {
    return TlsSecret.of(rendered.one(Secret.class, name));
  }
}
