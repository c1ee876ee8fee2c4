package io.kiam.server.grpc;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;

/** The gRPC side's Prometheus metrics: calls by method and code, latency, decisions by outcome. */
public final class GrpcMetrics implements AutoCloseable {
  private final PrometheusRegistry registry;
  private final Counter calls;
  private final Histogram latency;
  private final Counter decisions;

  /** Registers the metrics with {@code registry} (the default one in production). */
  public GrpcMetrics(PrometheusRegistry registry) {
    this.registry = registry;
    calls =
        Counter.builder()
            .name("kiam_server_grpc_calls_total")
            .help("gRPC calls answered, by method and status code")
            .labelNames("method", "code")
            .register(registry);
    latency =
        Histogram.builder()
            .name("kiam_server_grpc_call_duration_seconds")
            .help("Time from a gRPC call's arrival to its answer, by method")
            .unit(Unit.SECONDS)
            .labelNames("method")
            .classicOnly()
            .classicUpperBounds(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1)
            .register(registry);
    decisions =
        Counter.builder()
            .name("kiam_server_decisions_total")
            .help(
                "Credential requests decided, by outcome (allowed, forbidden, no_role, invalid_request, not_found, ip_conflict)")
            .labelNames("outcome")
            .register(registry);
  }

  /** Removes the metrics from the registry, so a later server in the same JVM can register. */
  @Override
  public void close() {
    registry.unregister(calls);
    registry.unregister(latency);
    registry.unregister(decisions);
  }

  void call(String method, String code, long nanos) {
    calls.labelValues(method, code).inc();
    latency.labelValues(method).observe(nanos / 1e9);
  }

  void decision(String outcome) {
    decisions.labelValues(outcome).inc();
  }
}
