package io.kiam.server.sts;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * The gate every AssumeRole of a server passes: a token bucket ({@code burst} calls at once after a
 * quiet spell, {@code perSecond} after that) and a bound on calls in flight. When calls must wait,
 * a pod's own request goes before prefetches and refreshes and, within each, the first asked goes
 * first. A Throttling answer from STS empties the bucket and pauses it, for longer while the
 * throttling goes on, because STS's quota is the account's and not this call's.
 *
 * <p>Time is the cache's clock, so tests move it by hand; a clock stepping back loses no calls and
 * does not stretch a pause.
 */
final class StsPacer {
  /** Who waits for a call: a pod on its request path, or nobody yet (prefetch, refresh). */
  enum Priority {
    REQUEST("request"),
    BACKGROUND("background");

    final String label;

    Priority(String label) {
      this.label = label;
    }
  }

  /** Runs the pacer's wake-up later: when the next token is due or a pause ends. */
  @FunctionalInterface
  interface Wakeups {
    void schedule(Runnable task, Duration delay);
  }

  /** A queued call; ordered by priority, then by when it was asked (or promoted). */
  private record Waiter(Object key, Priority priority, long order, long since, Runnable call)
      implements Comparable<Waiter> {
    @Override
    public int compareTo(Waiter other) {
      int byPriority = priority.compareTo(other.priority);
      return byPriority != 0 ? byPriority : Long.compare(order, other.order);
    }
  }

  private static final long NANOS_PER_SECOND = 1_000_000_000L;
  private static final Duration MIN_WAKEUP = Duration.ofMillis(1);

  private final double tokensPerNano;
  private final double burst;
  private final int maxInFlight;
  private final Clock clock;
  private final Backoff pauses;
  private final Executor runner;
  private final Wakeups wakeups;

  // Guarded by this.
  private final TreeSet<Waiter> queue = new TreeSet<>();
  private final Map<Object, Waiter> queuedByKey = new HashMap<>();
  private double tokens;
  private long lastNanos;
  private long pausedUntil = Long.MIN_VALUE;
  private int throttleStreak;
  private long order;
  private int queuedRequests;
  private int inFlight;
  private long wakeupAt = Long.MAX_VALUE;
  private boolean closed;

  StsPacer(
      CredentialCacheConfig.Pacing pacing,
      int maxInFlight,
      Clock clock,
      Backoff pauses,
      Executor runner,
      Wakeups wakeups) {
    this.tokensPerNano = pacing.perSecond() / NANOS_PER_SECOND;
    this.burst = pacing.burst();
    this.maxInFlight = maxInFlight;
    this.clock = Objects.requireNonNull(clock, "clock");
    this.pauses = Objects.requireNonNull(pauses, "pauses");
    this.runner = Objects.requireNonNull(runner, "runner");
    this.wakeups = Objects.requireNonNull(wakeups, "wakeups");
    this.tokens = burst;
    this.lastNanos = nanos(clock.instant());
  }

  /** Runs {@code call} on the runner once a token and a call slot are free; returns at once. */
  void submit(Object key, Priority priority, Runnable call) {
    synchronized (this) {
      if (closed) {
        return;
      }
      long now = refill();
      Waiter waiter = new Waiter(key, priority, order++, now, call);
      queue.add(waiter);
      queuedByKey.put(key, waiter);
      if (priority == Priority.REQUEST) {
        queuedRequests++;
      }
    }
    drain();
  }

  /** A pod now waits for the queued call of {@code key}: it moves ahead of background calls. */
  void promote(Object key) {
    synchronized (this) {
      Waiter waiter = queuedByKey.get(key);
      if (waiter == null || waiter.priority() == Priority.REQUEST) {
        return;
      }
      queue.remove(waiter);
      Waiter promoted = new Waiter(key, Priority.REQUEST, order++, waiter.since(), waiter.call());
      queue.add(promoted);
      queuedByKey.put(key, promoted);
      queuedRequests++;
      publish();
    }
  }

  /**
   * STS answered Throttling: the bucket is emptied and paused. A throttle answered to a call sent
   * before the current pause belongs to the same episode; one after it lengthens the next pause.
   */
  void throttled() {
    synchronized (this) {
      long now = refill();
      tokens = 0;
      if (now >= pausedUntil) {
        throttleStreak++;
        pausedUntil = now + pauses.delay(throttleStreak).toNanos();
        CacheMetrics.THROTTLE_PAUSES.inc();
      }
    }
    drain();
  }

  /** A call succeeded: the next Throttling starts again from the shortest pause. */
  synchronized void succeeded() {
    throttleStreak = 0;
  }

  /** Dispatches what the bucket and the free call slots allow; arranges a wake-up for the rest. */
  void drain() {
    List<Runnable> ready = new ArrayList<>();
    synchronized (this) {
      if (closed) {
        return;
      }
      long now = refill();
      while (!queue.isEmpty() && now >= pausedUntil && tokens >= 1 && inFlight < maxInFlight) {
        Waiter next = queue.pollFirst();
        queuedByKey.remove(next.key(), next);
        if (next.priority() == Priority.REQUEST) {
          queuedRequests--;
        }
        tokens -= 1;
        inFlight++;
        CacheMetrics.queueWait(next.priority().label, now - next.since());
        ready.add(next.call());
      }
      publish();
      if (!queue.isEmpty() && inFlight < maxInFlight) {
        wakeUpLater(now);
      }
    }
    for (Runnable call : ready) {
      dispatch(call);
    }
  }

  /** Calls waiting for a token or a slot. */
  synchronized int queued() {
    return queue.size();
  }

  /** Calls dispatched and not yet finished. */
  synchronized int inFlight() {
    return inFlight;
  }

  /** Whether a Throttling pause holds the bucket now. */
  synchronized boolean paused() {
    return refill() < pausedUntil;
  }

  /** Drops queued calls; their owners are failed by the cache's close. */
  void close() {
    synchronized (this) {
      closed = true;
      queue.clear();
      queuedByKey.clear();
      queuedRequests = 0;
      publish();
    }
  }

  private void dispatch(Runnable call) {
    try {
      runner.execute(
          () -> {
            try {
              call.run();
            } finally {
              finished();
            }
          });
    } catch (RejectedExecutionException e) {
      finished(); // closing: the cache fails the waiting callers
    }
  }

  private void finished() {
    synchronized (this) {
      inFlight--;
    }
    drain();
  }

  private void wakeUpLater(long now) {
    long due = now;
    if (now < pausedUntil) {
      due = pausedUntil;
    } else if (tokens < 1) {
      due = now + (long) Math.ceil((1 - tokens) / tokensPerNano);
    }
    if (wakeupAt <= due) {
      return; // an earlier wake-up will look again
    }
    wakeupAt = due;
    Duration delay = Duration.ofNanos(due - now);
    wakeups.schedule(
        () -> {
          synchronized (this) {
            wakeupAt = Long.MAX_VALUE;
          }
          drain();
        },
        delay.compareTo(MIN_WAKEUP) < 0 ? MIN_WAKEUP : delay);
  }

  /** Adds the tokens earned since the last look; returns now. Caller holds the lock. */
  private long refill() {
    long now = nanos(clock.instant());
    long elapsed = now - lastNanos;
    if (elapsed < 0) {
      // The clock stepped back: shift the pause with it rather than stretching it.
      if (pausedUntil != Long.MIN_VALUE) {
        pausedUntil += elapsed;
      }
      if (wakeupAt != Long.MAX_VALUE) {
        wakeupAt += elapsed;
      }
      elapsed = 0;
    }
    tokens = Math.min(burst, tokens + elapsed * tokensPerNano);
    lastNanos = now;
    return now;
  }

  private void publish() {
    CacheMetrics.QUEUED_REQUEST.set(queuedRequests);
    CacheMetrics.QUEUED_BACKGROUND.set(queue.size() - queuedRequests);
  }

  private static long nanos(Instant t) {
    return Math.addExact(Math.multiplyExact(t.getEpochSecond(), NANOS_PER_SECOND), t.getNano());
  }
}
