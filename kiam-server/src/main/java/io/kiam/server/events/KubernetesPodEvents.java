package io.kiam.server.events;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kiam.server.k8s.PodInfo;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes Warning Events on pods through the API server, from one background thread with a bounded
 * queue (a slow API server drops events, never requests), at most once per pod and reason per
 * interval (a pod retrying every second must not start an event storm).
 */
public final class KubernetesPodEvents implements PodEvents, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KubernetesPodEvents.class);
  private static final int QUEUE = 256;
  private static final int MAX_MESSAGE = 1024;
  private static final int FORGET_ABOVE = 10_000;

  private final KubernetesClient client;
  private final Clock clock;
  private final Duration interval;
  private final String source;
  private final Map<String, Instant> lastRecorded = new ConcurrentHashMap<>();
  private final AtomicLong dropped = new AtomicLong();
  private final ThreadPoolExecutor writer;

  /**
   * @param interval the least time between two events with the same pod and reason
   * @param source the reporting instance (the server's host name)
   */
  public KubernetesPodEvents(
      KubernetesClient client, Clock clock, Duration interval, String source) {
    this.client = Objects.requireNonNull(client, "client");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.interval = Objects.requireNonNull(interval, "interval");
    this.source = Objects.requireNonNull(source, "source");
    this.writer =
        new ThreadPoolExecutor(
            1,
            1,
            0,
            TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(QUEUE),
            r -> {
              Thread t = new Thread(r, "kiam-pod-events");
              t.setDaemon(true);
              return t;
            },
            (r, executor) -> dropped.incrementAndGet());
  }

  @Override
  public void record(PodInfo pod, EventReason reason, String message) {
    Instant now = clock.instant();
    String key = pod.uid() + "|" + reason.name();
    boolean[] due = {false};
    lastRecorded.compute(
        key,
        (k, last) -> {
          if (last == null || !now.isBefore(last.plus(interval))) {
            due[0] = true;
            return now;
          }
          return last;
        });
    if (!due[0]) {
      return;
    }
    forgetOld(now);
    Event event = event(pod, reason, message, now);
    writer.execute(() -> create(event));
  }

  /** How many events were dropped because the queue was full. */
  public long dropped() {
    return dropped.get();
  }

  @Override
  public void close() {
    writer.shutdown();
    try {
      if (!writer.awaitTermination(2, TimeUnit.SECONDS)) {
        writer.shutdownNow();
      }
    } catch (InterruptedException e) {
      writer.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  private void create(Event event) {
    try {
      client.v1().events().inNamespace(event.getMetadata().getNamespace()).resource(event).create();
    } catch (RuntimeException e) {
      log.atWarn()
          .addKeyValue("pod.namespace", event.getInvolvedObject().getNamespace())
          .addKeyValue("pod.name", event.getInvolvedObject().getName())
          .addKeyValue("event.reason", event.getReason())
          .log("cannot record a Kubernetes event: {}", e.getMessage());
    }
  }

  private Event event(PodInfo pod, EventReason reason, String message, Instant now) {
    String time = DateTimeFormatter.ISO_INSTANT.format(now.truncatedTo(ChronoUnit.SECONDS));
    String text = message.length() <= MAX_MESSAGE ? message : message.substring(0, MAX_MESSAGE);
    return new EventBuilder()
        .withNewMetadata()
        .withNamespace(pod.namespace())
        .withName(pod.name() + "." + Long.toHexString(now.toEpochMilli()) + "." + reason.ordinal())
        .endMetadata()
        .withNewInvolvedObject()
        .withApiVersion("v1")
        .withKind("Pod")
        .withNamespace(pod.namespace())
        .withName(pod.name())
        .withUid(pod.uid())
        .endInvolvedObject()
        .withType("Warning")
        .withReason(reason.reason())
        .withMessage(text)
        .withNewSource()
        .withComponent("kiam-server")
        .withHost(source)
        .endSource()
        .withReportingComponent("kiam-server")
        .withReportingInstance(source)
        .withFirstTimestamp(time)
        .withLastTimestamp(time)
        .withCount(1)
        .build();
  }

  private void forgetOld(Instant now) {
    if (lastRecorded.size() > FORGET_ABOVE) {
      lastRecorded.values().removeIf(last -> !now.isBefore(last.plus(interval)));
    }
  }
}
