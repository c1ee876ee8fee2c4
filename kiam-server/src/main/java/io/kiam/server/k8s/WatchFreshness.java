package io.kiam.server.k8s;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * How stale one informer's view may be: zero while its watch is up, else the time since it was last
 * seen watching (its last event, or the end of its last successful relist). Sampled from the
 * informer; judged by the server's clock.
 */
final class WatchFreshness {
  private final String informer;
  private Instant lastWatching;
  private boolean watching;

  /** Starts as fresh at {@code start}: before the first sync, readiness is what guards answers. */
  WatchFreshness(String informer, Instant start) {
    this.informer = Objects.requireNonNull(informer, "informer");
    this.lastWatching = Objects.requireNonNull(start, "start");
  }

  String informer() {
    return informer;
  }

  /** Records whether the informer's watch is up at {@code now}. */
  synchronized void sample(boolean watchingNow, Instant now) {
    if (watchingNow) {
      lastWatching = now;
    }
    // A watch that went down since the last sample counts as down since then: stale a sample
    // early rather than late.
    watching = watchingNow;
  }

  /** Zero while the watch is up; else how long since it was last seen up. */
  synchronized Duration staleness(Instant now) {
    if (watching) {
      return Duration.ZERO;
    }
    Duration since = Duration.between(lastWatching, now);
    return since.isNegative() ? Duration.ZERO : since;
  }
}
