package io.kiam.server.k8s;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The two shared informers (all pods, all namespaces) feeding {@link PodStore} and {@link
 * NamespaceStore}; synced once both initial lists have landed. Each informer's staleness (zero
 * while its watch is up, else the time since it last was) is sampled every second.
 */
public final class KubernetesCaches implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KubernetesCaches.class);

  /** Pages of the initial list: 50,000 pods never arrive as one response. */
  private static final long LIST_PAGE = 500;

  private final KubernetesClient client;
  private final PodStore pods;
  private final NamespaceStore namespaces;
  private final Clock clock;
  private final WatchFreshness podFreshness;
  private final WatchFreshness namespaceFreshness;
  private ScheduledExecutorService sampler;
  private SharedIndexInformer<Pod> podInformer;
  private SharedIndexInformer<Namespace> namespaceInformer;
  private CompletableFuture<Void> synced;

  public KubernetesCaches(KubernetesClient client, PodStore pods, NamespaceStore namespaces) {
    this(client, pods, namespaces, Clock.systemUTC());
  }

  /** As above, staleness judged by {@code clock}. */
  public KubernetesCaches(
      KubernetesClient client, PodStore pods, NamespaceStore namespaces, Clock clock) {
    this.client = client;
    this.pods = pods;
    this.namespaces = namespaces;
    this.clock = clock;
    this.podFreshness = new WatchFreshness("pods", clock.instant());
    this.namespaceFreshness = new WatchFreshness("namespaces", clock.instant());
  }

  /**
   * Starts both informers (idempotent); the future completes once both have synced. Watch errors
   * are retried by fabric8 with backoff for as long as the server runs.
   */
  public synchronized CompletableFuture<Void> start() {
    if (synced != null) {
      return synced;
    }
    try {
      // Resync period 0: the stores are the truth; a periodic resync would only replay them.
      podInformer =
          client.pods().inAnyNamespace().withLimit(LIST_PAGE).runnableInformer(0).itemStore(pods);
      podInformer.removeNamespaceIndex();
      podInformer.exceptionHandler(KubernetesCaches::retry);
      namespaceInformer = client.namespaces().runnableInformer(0).itemStore(namespaces);
      namespaceInformer.removeNamespaceIndex();
      namespaceInformer.exceptionHandler(KubernetesCaches::retry);
      sampler =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "kiam-watch-freshness");
                t.setDaemon(true);
                return t;
              });
      sampler.scheduleWithFixedDelay(this::sample, 1, 1, TimeUnit.SECONDS);
      CompletableFuture<Void> podsSynced = podInformer.start().toCompletableFuture();
      CompletableFuture<Void> namespacesSynced = namespaceInformer.start().toCompletableFuture();
      synced =
          CompletableFuture.allOf(podsSynced, namespacesSynced)
              .whenComplete(
                  (ok, failure) -> {
                    if (failure == null) {
                      sample(); // fresh from the first answer, not from the next tick
                      log.atInfo()
                          .addKeyValue("pods", pods.size())
                          .addKeyValue("namespaces", namespaces.size())
                          .log("pod and namespace caches synced");
                    }
                  });
      return synced;
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** Whether both informers have completed their initial list. */
  public boolean synced() {
    CompletableFuture<Void> s;
    synchronized (this) {
      s = synced;
    }
    return s != null && s.isDone() && !s.isCompletedExceptionally();
  }

  /** Samples whether each informer's watch is up now (every second on its own; tests call it). */
  public void sample() {
    SharedIndexInformer<Pod> p;
    SharedIndexInformer<Namespace> n;
    synchronized (this) {
      p = podInformer;
      n = namespaceInformer;
    }
    if (p != null && p.hasSynced()) {
      podFreshness.sample(p.isWatching(), clock.instant());
    }
    if (n != null && n.hasSynced()) {
      namespaceFreshness.sample(n.isWatching(), clock.instant());
    }
  }

  /**
   * Per informer (pods, namespaces): zero while its watch is up, else how long it has been down.
   */
  public Map<String, Duration> staleness() {
    Map<String, Duration> out = new LinkedHashMap<>();
    for (WatchFreshness f : new WatchFreshness[] {podFreshness, namespaceFreshness}) {
      out.put(f.informer(), f.staleness(clock.instant()));
    }
    return out;
  }

  /**
   * Why the view is too stale to judge an IP it has not answered before, when an informer's watch
   * has been down longer than {@code threshold}; empty while it is fresh enough (or the threshold
   * is zero: never).
   */
  public Optional<String> staleReason(Duration threshold) {
    if (threshold.isZero()) {
      return Optional.empty();
    }
    for (Map.Entry<String, Duration> e : staleness().entrySet()) {
      if (e.getValue().compareTo(threshold) > 0) {
        return Optional.of(
            "kiam-server's "
                + e.getKey()
                + " watch has been down for "
                + e.getValue().toSeconds()
                + "s (more than --watch-stale-after "
                + threshold.toSeconds()
                + "s), so it cannot tell which pod has a new IP; ask another server, or wait"
                + " for the watch to recover");
      }
    }
    return Optional.empty();
  }

  @Override
  public synchronized void close() {
    if (sampler != null) {
      sampler.shutdownNow();
      sampler = null;
    }
    if (podInformer != null) {
      podInformer.close();
      podInformer = null;
    }
    if (namespaceInformer != null) {
      namespaceInformer.close();
      namespaceInformer = null;
    }
  }

  private static boolean retry(boolean started, Throwable failure) {
    log.atWarn()
        .addKeyValue("informer.started", started)
        .log("watching the API server failed, will retry: {}", failure.toString());
    return true;
  }
}
