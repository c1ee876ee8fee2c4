package io.kiam.agent.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.kiam.common.tls.ReloadingTls;
import io.kiam.proto.v1.GetPodCredentialsRequest;
import io.kiam.proto.v1.GetPodRoleRequest;
import io.kiam.proto.v1.KiamServiceGrpc;
import io.kiam.testkit.pki.TestPki;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(20)
class FakeKiamServerTest {
  @TempDir Path dir;

  @Test
  void answersFromTheProgrammedTableOverMutualTls() throws Exception {
    ProgrammableBackend backend =
        new ProgrammableBackend()
            .pod("10.0.0.5", "shop", "cart-1", "shop-cart")
            .pod("10.0.0.6", "shop", "bare", null);
    try (FakeKiamServer server = FakeKiamServer.start(TestPki.create(dir), backend);
        ReloadingTls tls = ReloadingTls.load(server.clientTls())) {
      ManagedChannel channel =
          NettyChannelBuilder.forTarget(server.target())
              .sslContext(tls.grpcClientContext())
              .build();
      try {
        var stub = KiamServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
        var role = stub.getPodRole(GetPodRoleRequest.newBuilder().setIp("10.0.0.5").build());
        assertEquals("shop-cart", role.getRole());
        assertEquals("arn:aws:iam::123456789012:role/shop-cart", role.getRoleArn());
        assertEquals("cart-1", role.getPod().getName());
        var credentials =
            stub.getPodCredentials(
                GetPodCredentialsRequest.newBuilder()
                    .setIp("10.0.0.5")
                    .setRole("shop-cart")
                    .build());
        assertEquals("123456789012", credentials.getCredentials().getAccountId());

        assertCode(Status.Code.NOT_FOUND, () -> stub.getPodRole(ip("10.9.9.9")));
        assertCode(Status.Code.FAILED_PRECONDITION, () -> stub.getPodRole(ip("10.0.0.6")));
        assertCode(
            Status.Code.PERMISSION_DENIED,
            () ->
                stub.getPodCredentials(
                    GetPodCredentialsRequest.newBuilder()
                        .setIp("10.0.0.5")
                        .setRole("admin")
                        .build()));
        assertEquals(3, server.calls("GetPodRole"));
        assertEquals(2, server.calls("GetPodCredentials"));
        assertEquals(5, server.calls());
      } finally {
        channel.shutdownNow();
      }
    }
  }

  private static GetPodRoleRequest ip(String ip) {
    return GetPodRoleRequest.newBuilder().setIp(ip).build();
  }

  private static void assertCode(Status.Code code, Runnable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
    assertEquals(code, e.getStatus().getCode(), e.toString());
  }
}
