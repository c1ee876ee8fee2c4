package io.kiam.docs;

import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The metric families the daemons can expose: every name a metric builder registers in the main
 * sources of the modules, plus the JVM and process metrics, taken from a registry that really
 * registered them.
 */
final class MetricCatalog {
  /**
   * A metric builder's {@code .name("...")}, or any string literal that looks like one of our
   * metric names (registration helpers take the name as a plain argument).
   */
  private static final Pattern METRIC_NAME =
      Pattern.compile("\\.name\\(\\s*\"([a-zA-Z_:][a-zA-Z0-9_:]*)\"\\s*\\)|\"(kiam_[a-z0-9_]+)\"");

  /** Metrics Prometheus itself adds to every target. */
  private static final Set<String> SCRAPE_METRICS = Set.of("up", "scrape_duration_seconds");

  private MetricCatalog() {}

  static Set<String> families() {
    Set<String> out = new TreeSet<>(fromSources());
    out.addAll(jvm());
    SCRAPE_METRICS.forEach(name -> out.add(PromQlMetrics.family(name)));
    return out;
  }

  /**
   * The families exported under uswitch/kiam's names (its docs/METRICS.md) for kiam's own dashboard
   * and alerts; ours need not chart them a second time.
   */
  static final Set<String> KIAM_V4_NAMES =
      Set.of(
          "kiam_sts_cache_hit",
          "kiam_sts_cache_miss",
          "kiam_sts_issuing_errors",
          "kiam_sts_assumerole_timing_milliseconds",
          "kiam_sts_assumerole_current",
          "kiam_k8s_dropped_pods",
          "kiam_metadata_handler_latency_milliseconds",
          "kiam_metadata_credential_fetch_errors",
          "kiam_metadata_credential_encode_errors",
          "kiam_metadata_find_role_errors",
          "kiam_metadata_empty_role",
          "kiam_metadata_success",
          "kiam_metadata_responses",
          "kiam_metadata_proxy_requests_blocked",
          "grpc_server_handled",
          "grpc_server_started",
          "grpc_server_msg_received",
          "grpc_server_msg_sent",
          "grpc_client_handled",
          "grpc_client_started",
          "grpc_client_msg_received",
          "grpc_client_msg_sent");

  /** Names the daemons' own code registers (kiam_...), found in their sources. */
  static Set<String> fromSources() {
    Set<String> out = new TreeSet<>();
    for (String module : new String[] {"kiam-server", "kiam-agent", "kiam-common"}) {
      Path sources = Repo.root().resolve(module).resolve("src/main/java");
      if (!Files.isDirectory(sources)) {
        continue;
      }
      for (Path file : Repo.files(sources, ".java")) {
        Matcher m = METRIC_NAME.matcher(Repo.read(file));
        while (m.find()) {
          out.add(PromQlMetrics.family(m.group(1) != null ? m.group(1) : m.group(2)));
        }
      }
    }
    return out;
  }

  /** What MetricsEndpoint adds: JvmMetrics, registered and scraped for real. */
  static Set<String> jvm() {
    PrometheusRegistry registry = new PrometheusRegistry();
    JvmMetrics.builder().register(registry);
    Set<String> out = new TreeSet<>();
    try (Stream<MetricSnapshot> snapshots = registry.scrape().stream()) {
      snapshots.forEach(s -> out.add(PromQlMetrics.family(s.getMetadata().getPrometheusName())));
    }
    return out;
  }
}
