package io.kiam.server.sts;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.GaugeDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
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

  // uswitch/kiam's names (its docs/METRICS.md), beside ours, so kiam's dashboards and alerts keep
  // working. Hits and misses are read from our counters; the rest are observed with ours.
  static final CounterWithCallback KIAM_CACHE_HIT =
      CounterWithCallback.builder()
          .name("kiam_sts_cache_hit_total")
          .help("kiam's name: credential requests answered from the cache")
          .callback(cb -> cb.call(HIT.get()))
          .register();

  static final CounterWithCallback KIAM_CACHE_MISS =
      CounterWithCallback.builder()
          .name("kiam_sts_cache_miss_total")
          .help("kiam's name: credential requests that waited for STS")
          .callback(cb -> cb.call(MISS.get()))
          .register();

  static final Counter KIAM_ISSUING_ERRORS =
      Counter.builder()
          .name("kiam_sts_issuing_errors_total")
          .help("kiam's name: STS AssumeRole calls that failed")
          .withoutExemplars()
          .register();

  static final Histogram KIAM_ASSUMEROLE_TIMING =
      Histogram.builder()
          .name("kiam_sts_assumerole_timing_milliseconds")
          // kiam timed it with prometheus.NewTimer, which observes seconds whatever the name says;
          // so do we, in kiam's buckets (1 ms doubling to about 4 s), so its queries read alike.
          .help("kiam's name: time an STS AssumeRole call took (in seconds, as kiam's was)")
          .classicOnly()
          .classicExponentialUpperBounds(0.001, 2, 13)
          .withoutExemplars()
          .register();

  static final Gauge KIAM_ASSUMEROLE_CURRENT =
      Gauge.builder()
          .name("kiam_sts_assumerole_current")
          .help("kiam's name: STS AssumeRole calls executing now")
          .register();

  private CacheMetrics() {}

  /** Notes an STS call starting; {@link #stsCall} notes its end. */
  static void stsCallStarted() {
    KIAM_ASSUMEROLE_CURRENT.inc();
  }

  /** Counts one finished STS call. */
  static void stsCall(String outcome, long nanos) {
    STS_CALLS.labelValues(outcome).inc();
    STS_LATENCY.observe(nanos / 1e9);
    KIAM_ASSUMEROLE_CURRENT.dec();
    KIAM_ASSUMEROLE_TIMING.observe(nanos / 1e9);
    if (!"success".equals(outcome)) {
      KIAM_ISSUING_ERRORS.inc();
    }
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
