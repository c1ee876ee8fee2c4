package io.kiam.server.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.kiam.proto.v1.GetPodCredentialsRequest;
import io.kiam.proto.v1.KiamServiceGrpc;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The plain-text port the kubelet's gRPC probe calls: the server's health, and nothing else. */
@Timeout(30)
class HealthOnlyServerTest {
  private final ServerHealth health = new ServerHealth();
  private HealthOnlyServer server;
  private ManagedChannel channel;

  @BeforeEach
  void start() {
    server = new HealthOnlyServer(new InetSocketAddress("127.0.0.1", 0), health);
    server.start();
    // plain text, as the kubelet's probe connects
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.close();
  }

  private ServingStatus check(String service) {
    return HealthGrpc.newBlockingStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .check(HealthCheckRequest.newBuilder().setService(service).build())
        .getStatus();
  }

  @Test
  void answersInPlainTextWithTheServersOwnHealth() {
    assertEquals(ServingStatus.NOT_SERVING, check(""));
    health.serving();
    assertEquals(ServingStatus.SERVING, check(""));
    assertEquals(ServingStatus.SERVING, check(KiamServiceGrpc.SERVICE_NAME));
    health.shuttingDown();
    assertEquals(ServingStatus.NOT_SERVING, check(""));
  }

  @Test
  void servesNoCredentialsWithoutMutualTls() {
    health.serving();
    StatusRuntimeException e =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                KiamServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .getPodCredentials(
                        GetPodCredentialsRequest.newBuilder()
                            .setIp("10.4.0.1")
                            .setRole("shop-web")
                            .build()));
    assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
  }
}
