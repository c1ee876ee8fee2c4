package io.kiam.server.sts;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.GaugeDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;

/**
 * The credential cache's Prometheus metrics in the default registry; static because a registry
 * takes each name once and tests build many caches.
 */
final class CacheMetrics {
  static final Counter STS_CALLS =
      Counter.builder()
          .name("kiam_sts_assume_role_calls_total")
          .help("STS AssumeRole calls by outcome")
          .labelNames("outcome")
          .withoutExemplars()
          .register();

  static final Histogram STS_LATENCY =
      Histogram.builder()
          .name("kiam_sts_assume_role_duration_seconds")
          .help("Time an STS AssumeRole call took, failures included")
          .classicOnly()
          .classicUpperBounds(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
          .withoutExemplars()
          .register();

  static final Counter CACHE_REQUESTS =
      Counter.builder()
          .name("kiam_credential_cache_requests_total")
          .help(
              "Credential requests by result: hit, miss (waited for STS), stale (valid but below"
                  + " the guaranteed lifetime, STS failing), remembered (a recent refusal answered"
                  + " from memory)")
          .labelNames("result")
          // No traces to link to, and the hit path should not pay for sampling them.
          .withoutExemplars()
          .register();

  static final Gauge CACHE_SIZE =
      Gauge.builder()
          .name("kiam_credential_cache_entries")
          .help("Role sessions the credential cache holds")
          .register();

  static final Gauge STS_QUEUED =
      Gauge.builder()
          .name("kiam_sts_assume_role_queued")
          .help(
              "AssumeRole calls waiting for the STS rate limit (--sts-rate) or a free call slot, by"
                  + " priority: request (a pod waits) or background (prefetch, refresh)")
          .labelNames("priority")
          .register();

  static final Histogram STS_QUEUE_WAIT =
      Histogram.builder()
          .name("kiam_sts_assume_role_queue_wait_seconds")
          .help("Time an AssumeRole call waited for the STS rate limit before it was sent")
          .labelNames("priority")
          .classicOnly()
          .classicUpperBounds(0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
          .withoutExemplars()
          .register();

  static final Counter THROTTLE_PAUSES =
      Counter.builder()
          .name("kiam_sts_throttle_pauses_total")
          .help(
              "Times a Throttling answer from STS emptied and paused the server's whole STS rate"
                  + " limit")
          .withoutExemplars()
          .register();

  static final GaugeDataPoint QUEUED_REQUEST = STS_QUEUED.labelValues("request");
  static final GaugeDataPoint QUEUED_BACKGROUND = STS_QUEUED.labelValues("background");

  // Resolved once: the hit path should not look labels up.
  static final CounterDataPoint HIT = CACHE_REQUESTS.labelValues("hit");
  static final CounterDataPoint MISS = CACHE_REQUESTS.labelValues("miss");
  static final CounterDataPoint STALE = CACHE_REQUESTS.labelValues("stale");
  static final CounterDataPoint REMEMBERED = CACHE_REQUESTS.labelValues("remembered");

  private CacheMetrics() {}

  /** Counts one finished STS call. */
  static void stsCall(String outcome, long nanos) {
    STS_CALLS.labelValues(outcome).inc();
    STS_LATENCY.observe(nanos / 1e9);
  }

  /** Records how long a call waited in the STS queue. */
  static void queueWait(String priority, long nanos) {
    STS_QUEUE_WAIT.labelValues(priority).observe(Math.max(0, nanos) / 1e9);
  }

  /** The outcome label for a failure: STS's distinctions operators alert on, bounded in number. */
  static String outcome(StsFailure failure) {
    if (failure.throttled()) {
      return "throttled";
    }
    return switch (failure.kind()) {
      case ACCESS_DENIED -> "access_denied";
      case INVALID -> "invalid";
      case UNAVAILABLE -> "unavailable";
    };
  }
}
