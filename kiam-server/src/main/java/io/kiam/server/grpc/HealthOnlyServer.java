package io.kiam.server.grpc;

import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * A plain-text gRPC port that serves only grpc.health.v1 (the same status as the mutual-TLS port),
 * for the kubelet's native gRPC probe: probes cost a few bytes instead of a JVM each. It answers
 * "is this server ready", nothing that names a pod or a role, so it needs no client certificate.
 */
public final class HealthOnlyServer implements AutoCloseable {
  private final Server server;

  public HealthOnlyServer(InetSocketAddress bind, ServerHealth health) {
    InetSocketAddress address =
        bind.isUnresolved() ? new InetSocketAddress(bind.getHostString(), bind.getPort()) : bind;
    this.server =
        NettyServerBuilder.forAddress(address)
            .addService(health.service())
            .maxInboundMessageSize(1024)
            .maxConcurrentCallsPerConnection(4)
            .build();
  }

  /** Binds and starts serving; fails with the address when the port is taken. */
  public void start() {
    try {
      server.start();
    } catch (IOException e) {
      throw new UncheckedIOException("--health-listen-addr: cannot listen: " + e.getMessage(), e);
    }
  }

  /** The port actually bound (useful when asked for port 0). */
  public int port() {
    return server.getPort();
  }

  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
