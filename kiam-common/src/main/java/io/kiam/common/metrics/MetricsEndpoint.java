package io.kiam.common.metrics;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;

/** The Prometheus scrape endpoint (/metrics) on its own port, with the JVM's own metrics. */
public final class MetricsEndpoint implements AutoCloseable {
  private static volatile boolean jvmRegistered;

  private final HTTPServer server;

  private MetricsEndpoint(HTTPServer server) {
    this.server = server;
  }

  /** Starts serving the default registry; fails with the address when the port is taken. */
  public static MetricsEndpoint start(InetSocketAddress address) {
    registerJvmMetrics();
    try {
      HTTPServer server =
          HTTPServer.builder()
              .hostname(address.getHostString())
              .port(address.getPort())
              .buildAndStart();
      return new MetricsEndpoint(server);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "--prometheus-listen-addr: cannot listen on " + address + ": " + e.getMessage(), e);
    }
  }

  private static synchronized void registerJvmMetrics() {
    if (!jvmRegistered) {
      JvmMetrics.builder().register();
      jvmRegistered = true;
    }
  }

  /** The port actually bound (useful when asked for port 0). */
  public int port() {
    return server.getPort();
  }

  @Override
  public void close() {
    server.close();
  }
}
