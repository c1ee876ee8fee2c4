package io.kiam.server.sts;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;

/** Reads values from the default Prometheus registry, as a scrape of /metrics would see them. */
final class Scrape {
  private Scrape() {}

  /**
   * A counter's value for one label value, or of all series with a null label (0 when the series
   * does not exist yet).
   */
  static double counter(String name, String label, String value) {
    MetricSnapshot snapshot = find(name);
    if (snapshot == null) {
      return 0;
    }
    return ((CounterSnapshot) snapshot)
        .getDataPoints().stream()
            .filter(p -> label == null || value.equals(p.getLabels().get(label)))
            .mapToDouble(CounterSnapshot.CounterDataPointSnapshot::getValue)
            .sum();
  }

  static double gauge(String name) {
    return ((GaugeSnapshot) find(name)).getDataPoints().get(0).getValue();
  }

  /** A labelled gauge's value for one label value. */
  static double gauge(String name, String label, String value) {
    return ((GaugeSnapshot) find(name))
        .getDataPoints().stream()
            .filter(p -> value.equals(p.getLabels().get(label)))
            .mapToDouble(GaugeSnapshot.GaugeDataPointSnapshot::getValue)
            .sum();
  }

  static long histogramCount(String name) {
    return ((HistogramSnapshot) find(name)).getDataPoints().get(0).getCount();
  }

  private static MetricSnapshot find(String name) {
    for (MetricSnapshot s : PrometheusRegistry.defaultRegistry.scrape()) {
      if (s.getMetadata().getPrometheusName().equals(name)) {
        return s;
      }
    }
    return null;
  }
}
