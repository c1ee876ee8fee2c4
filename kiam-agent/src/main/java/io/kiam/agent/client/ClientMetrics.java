package io.kiam.agent.client;

import io.grpc.Status;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * Server-call metrics: errors by method and status code, and latency (including retries) by method
 * and code, so an operator sees both "servers unreachable" and "servers slow".
 */
public final class ClientMetrics {
  private static volatile ClientMetrics defaultInstance;

  private final Counter errors;
  private final Histogram duration;
  private final Counter kiamStarted;
  private final Counter kiamHandled;
  private final Counter kiamSent;
  private final Counter kiamReceived;

  /** Registers the metrics in {@code registry} (a registry takes each name once). */
  public ClientMetrics(PrometheusRegistry registry) {
    errors =
        Counter.builder()
            .name("kiam_agent_server_call_errors_total")
            .help("Calls to kiam-server that failed, by method and gRPC status code")
            .labelNames("method", "code")
            .register(registry);
    duration =
        Histogram.builder()
            .name("kiam_agent_server_call_duration_seconds")
            .help(
                "Time for a call to kiam-server including retries, by method and gRPC status code")
            .labelNames("method", "code")
            .classicOnly()
            .classicUpperBounds(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.8, 1, 2.5)
            .register(registry);
    // go-grpc-prometheus' client names, as kiam's agent exported them (kiam's docs/METRICS.md).
    kiamStarted =
        Counter.builder()
            .name("grpc_client_started_total")
            .help("Total number of RPCs started on the client.")
            .labelNames("grpc_type", "grpc_service", "grpc_method")
            .register(registry);
    kiamHandled =
        Counter.builder()
            .name("grpc_client_handled_total")
            .help("Total number of RPCs completed by the client, regardless of success or failure.")
            .labelNames("grpc_type", "grpc_service", "grpc_method", "grpc_code")
            .register(registry);
    kiamSent =
        Counter.builder()
            .name("grpc_client_msg_sent_total")
            .help("Total number of gRPC stream messages sent by the client.")
            .labelNames("grpc_type", "grpc_service", "grpc_method")
            .register(registry);
    kiamReceived =
        Counter.builder()
            .name("grpc_client_msg_received_total")
            .help("Total number of RPC stream messages received by the client.")
            .labelNames("grpc_type", "grpc_service", "grpc_method")
            .register(registry);
  }

  void started(String type, String service, String method) {
    kiamStarted.labelValues(type, service, method).inc();
  }

  void sent(String type, String service, String method) {
    kiamSent.labelValues(type, service, method).inc();
  }

  void received(String type, String service, String method) {
    kiamReceived.labelValues(type, service, method).inc();
  }

  void handled(String type, String service, String method, String goCode) {
    kiamHandled.labelValues(type, service, method, goCode).inc();
  }

  /** The instance in the default registry, which the /metrics endpoint serves; made once. */
  public static ClientMetrics defaultRegistry() {
    ClientMetrics metrics = defaultInstance;
    if (metrics == null) {
      synchronized (ClientMetrics.class) {
        metrics = defaultInstance;
        if (metrics == null) {
          metrics = new ClientMetrics(PrometheusRegistry.defaultRegistry);
          defaultInstance = metrics;
        }
      }
    }
    return metrics;
  }

  void record(String method, Status.Code code, long nanos) {
    duration.labelValues(method, code.name()).observe(nanos / 1e9);
    if (code != Status.Code.OK) {
      errors.labelValues(method, code.name()).inc();
    }
  }

  /** Errors counted so far for one method and code (for tests and the health summary). */
  public long errors(String method, Status.Code code) {
    return (long) errors.labelValues(method, code.name()).get();
  }
}
