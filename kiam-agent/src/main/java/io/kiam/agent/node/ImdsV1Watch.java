package io.kiam.agent.node;

import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks at start and then on an interval whether the node's metadata service still answers IMDSv1,
 * exports the answer as {@code kiam_agent_node_imdsv1_open} and warns while it does: until the rule
 * is in place (a new node's boot window), and for anything the rule misses, an open IMDSv1 hands
 * out the node's role. Nodes should require IMDSv2 with a hop limit of 1.
 */
public final class ImdsV1Watch implements AutoCloseable {
  static final String METRIC = "kiam_agent_node_imdsv1_open";
  private static final Logger log = LoggerFactory.getLogger(ImdsV1Watch.class);

  private final ImdsV1Probe probe;
  private final PrometheusRegistry registry;
  private final GaugeWithCallback gauge;
  private final AtomicReference<ImdsV1Status> last = new AtomicReference<>(ImdsV1Status.UNKNOWN);
  private final ScheduledExecutorService scheduler;

  private ImdsV1Watch(ImdsV1Probe probe, PrometheusRegistry registry) {
    this.probe = probe;
    this.registry = registry;
    this.gauge =
        GaugeWithCallback.builder()
            .name(METRIC)
            .help(
                "1 when the node's metadata service answers IMDSv1 (no token), 0 when it requires"
                    + " IMDSv2, -1 when the last check got no answer")
            .callback(cb -> cb.call(last.get().gaugeValue()))
            .register(registry);
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "kiam-imds-check");
              t.setDaemon(true);
              return t;
            });
  }

  /** Checks once now (in the background) and then every {@code interval}. */
  public static ImdsV1Watch start(
      ImdsV1Probe probe, Duration interval, PrometheusRegistry registry) {
    ImdsV1Watch watch = new ImdsV1Watch(probe, registry);
    watch.scheduler.scheduleWithFixedDelay(
        watch::checkOnce, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    return watch;
  }

  /** The last answer (UNKNOWN before the first check). */
  public ImdsV1Status last() {
    return last.get();
  }

  void checkOnce() {
    ImdsV1Status now;
    try {
      now = probe.check();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    ImdsV1Status before = last.getAndSet(now);
    switch (now) {
      case OPEN ->
          log.atWarn()
              .addKeyValue("imds.endpoint", probe.target())
              .log(
                  "the node's metadata service answers IMDSv1 without a token: a pod the DNAT rule"
                      + " misses (hostNetwork, an unlisted interface, before the rule is in place)"
                      + " gets the node's role; require IMDSv2 with hop limit 1 on the node"
                      + " (docs/node-setup.md)");
      case REQUIRES_TOKEN -> {
        if (before != ImdsV1Status.REQUIRES_TOKEN) {
          log.atInfo()
              .addKeyValue("imds.endpoint", probe.target())
              .log("the node's metadata service requires IMDSv2 tokens");
        }
      }
      case UNKNOWN ->
          log.atDebug()
              .addKeyValue("imds.endpoint", probe.target())
              .log("IMDSv1 check got no answer from the node's metadata service");
    }
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    registry.unregister(gauge);
  }
}
