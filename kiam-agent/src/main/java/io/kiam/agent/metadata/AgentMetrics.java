package io.kiam.agent.metadata;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The metadata server's Prometheus metrics; labels stay low-cardinality (route kinds and codes,
 * never paths, roles or IPs). Server-call errors by code are the client's ({@code
 * kiam_agent_server_call_errors_total}).
 */
public final class AgentMetrics {
  private final Counter requests;
  private final Histogram latency;
  private final Counter blocked;
  private final Counter tokens;

  /** Registers the agent's metrics in {@code registry}. */
  public AgentMetrics(PrometheusRegistry registry) {
    requests =
        Counter.builder()
            .name("kiam_agent_http_requests_total")
            .help("Metadata requests answered, by route kind and HTTP status")
            .labelNames("route", "status")
            .withoutExemplars()
            .register(registry);
    latency =
        Histogram.builder()
            .name("kiam_agent_http_request_duration_seconds")
            .help("Time from a complete request to its response, by route kind")
            .labelNames("route")
            .classicOnly()
            .classicUpperBounds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)
            .withoutExemplars()
            .register(registry);
    blocked =
        Counter.builder()
            .name("kiam_agent_blocked_requests_total")
            .help("Requests for paths not served to pods (node identity or not allow-listed)")
            .withoutExemplars()
            .register(registry);
    tokens =
        Counter.builder()
            .name("kiam_agent_tokens_issued_total")
            .help("IMDSv2 session tokens issued")
            .withoutExemplars()
            .register(registry);
  }

  void answered(String route, int status, long nanos) {
    requests.labelValues(route, Integer.toString(status)).inc();
    latency.labelValues(route).observe(nanos / 1e9);
  }

  void blocked() {
    blocked.inc();
  }

  void tokenIssued() {
    tokens.inc();
  }
}
