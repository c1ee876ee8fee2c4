package io.kiam.server.k8s;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** Finds the live pod that owns an IP, the way kiam's agents identify a caller. */
public interface PodFinder {
  /** What the cache knows now about the (canonical) IP. */
  PodLookup findByIp(String ip);

  /**
   * Like {@link #findByIp}, but when no pod owns the IP yet, waits up to {@code wait} for the watch
   * to deliver one (the pod-start race), woken by the event rather than by polling.
   */
  CompletableFuture<PodLookup> awaitByIp(String ip, Duration wait);
}
