package io.kiam.e2e;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.kiam.common.tls.ReloadingTls;
import io.kiam.e2e.node.KiamNode;
import io.kiam.e2e.node.NodePorts;
import io.kiam.proto.v1.GetPodRoleRequest;
import io.kiam.proto.v1.KiamServiceGrpc;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Asks each kiam-server directly, over mutual TLS as the agent, what it has seen for an IP: the
 * observable event a case waits for before it judges the answers that follow.
 */
final class ServerViews implements AutoCloseable {
  private final ReloadingTls tls;
  private final List<ManagedChannel> channels = new ArrayList<>();

  ServerViews(KiamNode node, int servers) {
    this.tls = ReloadingTls.load(node.agentTls());
    for (int i = 0; i < servers; i++) {
      channels.add(
          NettyChannelBuilder.forAddress(node.serverAddress(i), NodePorts.SERVER_GRPC)
              .sslContext(tls.grpcClientContext())
              .build());
    }
  }

  /** What server index says the IP's pod is: "ns/name role", or the gRPC code it answers. */
  String view(int index, String ip) {
    ManagedChannel channel = channels.get(index);
    channel.resetConnectBackoff();
    try {
      var answer =
          KiamServiceGrpc.newBlockingStub(channel)
              .withDeadlineAfter(2, TimeUnit.SECONDS)
              .getPodRole(GetPodRoleRequest.newBuilder().setIp(ip).build());
      return answer.getPod().getNamespace()
          + "/"
          + answer.getPod().getName()
          + " "
          + answer.getRole();
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode().name();
    }
  }

  /** True when every server sees the view. */
  boolean all(String ip, String expected) {
    for (int i = 0; i < channels.size(); i++) {
      if (!expected.equals(view(i, ip))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public void close() {
    channels.forEach(ManagedChannel::shutdownNow);
    tls.close();
  }
}
