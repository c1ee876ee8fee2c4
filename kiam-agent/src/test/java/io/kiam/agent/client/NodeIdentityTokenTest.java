package io.kiam.agent.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The token goes with each call over a real HTTP/2 connection, and a rotated file is re-read. */
@Timeout(30)
class NodeIdentityTokenTest {
  @TempDir Path dir;
  private final List<String> seen = new CopyOnWriteArrayList<>();
  private Server server;
  private ManagedChannel channel;
  private Path file;

  @BeforeEach
  void start() throws Exception {
    ServerInterceptor recorder =
        new ServerInterceptor() {
          @Override
          public <Q, A> ServerCall.Listener<Q> interceptCall(
              ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
            seen.add(String.valueOf(headers.get(NodeIdentityToken.AUTHORIZATION)));
            return next.startCall(call, headers);
          }
        };
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(
                ServerInterceptors.intercept(
                    new HealthStatusManager().getHealthService(), recorder))
            .build()
            .start();
    file = dir.resolve("token");
    channel =
        NettyChannelBuilder.forAddress("127.0.0.1", server.getPort())
            .usePlaintext()
            .intercept(new NodeIdentityToken(file))
            .build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow();
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private void call() {
    HealthGrpc.newBlockingStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .check(HealthCheckRequest.getDefaultInstance());
  }

  @Test
  void sendsTheTokenAndReadsItAgainWhenTheKubeletRotatesIt() throws Exception {
    Files.writeString(file, "first-token\n");
    Files.setLastModifiedTime(file, FileTime.from(Instant.parse("2026-01-01T00:00:00Z")));
    call();
    call();
    Files.writeString(file, "second-token");
    Files.setLastModifiedTime(file, FileTime.from(Instant.parse("2026-01-01T00:50:00Z")));
    call();

    assertEquals(List.of("Bearer first-token", "Bearer first-token", "Bearer second-token"), seen);
  }

  @Test
  void anUnreadableTokenFailsTheCallWithoutReachingTheServer() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, this::call);

    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    assertEquals(List.of(), seen);
  }
}
