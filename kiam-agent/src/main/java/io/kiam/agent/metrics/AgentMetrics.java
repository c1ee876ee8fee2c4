package io.kiam.agent.metrics;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

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
  private final Histogram kiamLatency;
  private final Counter kiamResponses;
  private final Counter kiamSuccess;
  private final Counter kiamEmptyRole;
  private final Counter kiamFindRoleErrors;
  private final Counter kiamFetchErrors;
  private final Counter kiamProxyBlocked;
  private final Map<String, RouteMetrics> byRoute = new ConcurrentHashMap<>();

  private static final int MAX_STATUS = 599;

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
    // uswitch/kiam's names (its docs/METRICS.md and pkg/aws/metadata/metrics.go), labelled by
    // kiam's handler names (roleName, credentials, health), so its dashboards keep working.
    kiamLatency =
        Histogram.builder()
            .name("kiam_metadata_handler_latency_milliseconds")
            // kiam timed handlers with prometheus.NewTimer, which observes seconds whatever the
            // name says; so do we, in kiam's buckets (1 ms doubling to about 4 s).
            .help("kiam's name: handler timings (in seconds, as kiam's were)")
            .labelNames("handler")
            .classicOnly()
            .classicExponentialUpperBounds(0.001, 2, 13)
            .withoutExemplars()
            .register(registry);
    kiamResponses = kiamCounter(registry, "kiam_metadata_responses_total", "handler", "code");
    kiamSuccess = kiamCounter(registry, "kiam_metadata_success_total", "handler");
    kiamEmptyRole = kiamCounter(registry, "kiam_metadata_empty_role_total", "handler");
    kiamFindRoleErrors = kiamCounter(registry, "kiam_metadata_find_role_errors_total", "handler");
    kiamFetchErrors =
        kiamCounter(registry, "kiam_metadata_credential_fetch_errors_total", "handler");
    // Registered for kiam's dashboards; encoding credentials as JSON cannot fail here.
    kiamCounter(registry, "kiam_metadata_credential_encode_errors_total", "handler");
    kiamProxyBlocked = kiamCounter(registry, "kiam_metadata_proxy_requests_blocked_total");
  }

  private static Counter kiamCounter(PrometheusRegistry registry, String name, String... labels) {
    return Counter.builder()
        .name(name)
        .help("kiam's name, as its docs/METRICS.md lists it")
        .labelNames(labels)
        .withoutExemplars()
        .register(registry);
  }

  /** kiam's handler name for one of our route kinds, or null when kiam had no such handler. */
  static String kiamHandler(String route) {
    return switch (route) {
      case "role_name", "role_name_extended" -> "roleName";
      case "credentials", "credentials_extended" -> "credentials";
      case "health" -> "health";
      default -> null;
    };
  }

  /**
   * The data points one route answers into, looked up once: label look-ups build label lists and
   * hash them, which the hot path should not pay per request.
   */
  private final class RouteMetrics {
    final String route;
    final String handler;
    final DistributionDataPoint latency;
    final DistributionDataPoint kiamLatency;
    final AtomicReferenceArray<CounterDataPoint[]> byStatus =
        new AtomicReferenceArray<>(MAX_STATUS + 1);

    RouteMetrics(String route) {
      this.route = route;
      this.handler = kiamHandler(route);
      this.latency = AgentMetrics.this.latency.labelValues(route);
      this.kiamLatency =
          handler == null ? null : AgentMetrics.this.kiamLatency.labelValues(handler);
    }

    /** The counters one answer with {@code status} increments. */
    CounterDataPoint[] counters(int status) {
      if (status < 0 || status > MAX_STATUS) {
        return countersFor(status);
      }
      CounterDataPoint[] counters = byStatus.get(status);
      if (counters == null) {
        counters = countersFor(status);
        byStatus.set(status, counters);
      }
      return counters;
    }

    private CounterDataPoint[] countersFor(int status) {
      List<CounterDataPoint> points = new ArrayList<>(3);
      points.add(requests.labelValues(route, Integer.toString(status)));
      if (handler != null) {
        points.add(kiamResponses.labelValues(handler, Integer.toString(status)));
        if (status == 200) {
          points.add(kiamSuccess.labelValues(handler));
        } else if (status == 404 && handler.equals("roleName")) {
          points.add(kiamEmptyRole.labelValues(handler));
        } else if (status >= 500 && handler.equals("roleName")) {
          points.add(kiamFindRoleErrors.labelValues(handler));
        } else if (status >= 500 || status == 403) {
          points.add(kiamFetchErrors.labelValues(handler));
        }
      }
      return points.toArray(new CounterDataPoint[0]);
    }
  }

  public void answered(String route, int status, long nanos) {
    RouteMetrics metrics = byRoute.computeIfAbsent(route, RouteMetrics::new);
    for (CounterDataPoint counter : metrics.counters(status)) {
      counter.inc();
    }
    double seconds = nanos / 1e9;
    metrics.latency.observe(seconds);
    if (metrics.kiamLatency != null) {
      metrics.kiamLatency.observe(seconds);
    }
  }

  public void blocked() {
    blocked.inc();
    kiamProxyBlocked.inc();
  }

  public void tokenIssued() {
    tokens.inc();
  }
}
