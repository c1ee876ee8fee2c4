package io.kiam.server.grpc;

import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * The gRPC server the agents reach: mutual TLS only, client keepalive pings allowed every 5 s (an
 * agent's node stream also gets the server's heartbeats, which reveal a dead path sooner), and
 * connections aged out every few minutes so that agents re-resolve the servers' addresses (kiam's
 * agents once stuck to servers that had long gone).
 */
public final class GrpcServer implements AutoCloseable {
  /** The most often a client may ping: below grpc-java's own client floor of 10 s. */
  static final Duration PERMIT_KEEPALIVE_TIME = Duration.ofSeconds(5);

  private final Server server;

  public GrpcServer(
      InetSocketAddress bind,
      SslContext serverTls,
      KiamGrpcService service,
      ServerHealth health,
      GrpcMetrics metrics,
      Executor executor) {
    this(bind, serverTls, service, health, metrics, executor, GrpcServerSettings.defaults());
  }

  public GrpcServer(
      InetSocketAddress bind,
      SslContext serverTls,
      KiamGrpcService service,
      ServerHealth health,
      GrpcMetrics metrics,
      Executor executor,
      GrpcServerSettings settings) {
    this(bind, serverTls, service, health, metrics, executor, settings, List.of());
  }

  /**
   * A server whose kiam service calls also pass through {@code guards} (node identity), after the
   * metrics interceptor, so refused calls are counted too.
   */
  public GrpcServer(
      InetSocketAddress bind,
      SslContext serverTls,
      KiamGrpcService service,
      ServerHealth health,
      GrpcMetrics metrics,
      Executor executor,
      GrpcServerSettings settings,
      List<ServerInterceptor> guards) {
    List<ServerInterceptor> chain = new ArrayList<>(guards);
    chain.add(new CallMetricsInterceptor(metrics));
    InetSocketAddress address =
        bind.isUnresolved() ? new InetSocketAddress(bind.getHostString(), bind.getPort()) : bind;
    NettyServerBuilder builder =
        NettyServerBuilder.forAddress(address)
            .sslContext(serverTls)
            .executor(executor)
            .addService(ServerInterceptors.intercept(service, chain))
            .addService(health.service())
            .permitKeepAliveTime(PERMIT_KEEPALIVE_TIME.toSeconds(), TimeUnit.SECONDS)
            .permitKeepAliveWithoutCalls(true)
            .keepAliveTime(settings.keepAliveTime().toMillis(), TimeUnit.MILLISECONDS)
            .keepAliveTimeout(settings.keepAliveTimeout().toMillis(), TimeUnit.MILLISECONDS)
            .maxConnectionAgeGrace(
                settings.maxConnectionAgeGrace().toMillis(), TimeUnit.MILLISECONDS)
            .maxInboundMessageSize(64 * 1024);
    settings
        .maxConnectionAge()
        .ifPresent(age -> builder.maxConnectionAge(age.toMillis(), TimeUnit.MILLISECONDS));
    settings
        .maxConnectionIdle()
        .ifPresent(idle -> builder.maxConnectionIdle(idle.toMillis(), TimeUnit.MILLISECONDS));
    this.server = builder.build();
  }

  /** Binds and starts serving; fails with the address when the port is taken. */
  public void start() {
    try {
      server.start();
    } catch (IOException e) {
      throw new UncheckedIOException("--bind: cannot listen: " + e.getMessage(), e);
    }
  }

  /** The port actually bound (useful when asked for port 0). */
  public int port() {
    return server.getPort();
  }

  /** Stops accepting calls, lets in-flight ones finish within {@code grace}, then cuts the rest. */
  public void shutdown(Duration grace) {
    server.shutdown();
    try {
      if (!server.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        server.shutdownNow();
        server.awaitTermination(1, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    shutdown(Duration.ofSeconds(5));
  }
}
