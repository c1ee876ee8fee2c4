package io.kiam.common.tls;

import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * Exports when the daemon's own TLS certificate expires, read at scrape time so a rotated
 * certificate shows at once: expired certificates turn every credential request into a 503, so
 * alert on it.
 */
public final class TlsExpiryMetric {
  public static final String NAME = "kiam_tls_certificate_expiry_timestamp_seconds";

  private TlsExpiryMetric() {}

  /** Registers the gauge; closing the handle unregisters it. */
  public static AutoCloseable register(PrometheusRegistry registry, ReloadingTls tls) {
    GaugeWithCallback gauge =
        GaugeWithCallback.builder()
            .name(NAME)
            .help(
                "When this daemon's TLS certificate (the earliest in its chain) stops being valid")
            .unit(io.prometheus.metrics.model.snapshots.Unit.SECONDS)
            .callback(cb -> cb.call(tls.certificateNotAfter().getEpochSecond()))
            .register(registry);
    return () -> registry.unregister(gauge);
  }
}
