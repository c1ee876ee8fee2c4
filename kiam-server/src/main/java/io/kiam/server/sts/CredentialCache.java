package io.kiam.server.sts;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Credentials for role sessions, fetched from STS ahead of need and refreshed before they run low,
 * so a warm pod's request never waits for STS.
 *
 * <p>One STS call per role session however many requests wait for it (the shared call belongs to no
 * caller: cancelling a request never cancels it); a refresh timer per entry while live pods use the
 * role, due at a jittered time so sessions fetched together are not refreshed together; STS calls
 * paced by one token bucket, pods' own requests first; at most {@code maxConcurrentCalls} STS calls
 * at a time; jittered backoff on throttling and outages, during which credentials that are still
 * valid keep being served. An AccessDenied or ValidationError is answered from memory for a while,
 * and drops the credentials held: the role's trust was withdrawn, and the pod should learn so now
 * rather than when they expire.
 */
public final class CredentialCache implements CredentialsSource, CredentialUpdates, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CredentialCache.class);

  /** The shortest wait before a timer that fired early looks again. */
  private static final Duration MIN_RESCHEDULE = Duration.ofMillis(250);

  private final StsGateway gateway;
  private final RoleUsage usage;
  private final CredentialCacheConfig config;
  private final Clock clock;
  private final ConcurrentHashMap<RoleRequest, CacheEntry> entries = new ConcurrentHashMap<>();
  private final ScheduledExecutorService timers;
  private final StsCalls calls;
  private final List<Consumer<RoleRequest>> listeners = new CopyOnWriteArrayList<>();
  private volatile boolean closed;

  /** A cache asking {@code gateway}, refreshing entries while {@code usage} says pods need them. */
  public CredentialCache(StsGateway gateway, RoleUsage usage, CredentialCacheConfig config) {
    this.gateway = Objects.requireNonNull(gateway, "gateway");
    this.usage = Objects.requireNonNull(usage, "usage");
    this.config = Objects.requireNonNull(config, "config");
    this.clock = config.clock();
    ScheduledThreadPoolExecutor timerPool =
        new ScheduledThreadPoolExecutor(1, DaemonThreads.named("kiam-sts-timer"));
    // Each success replaces an entry's timer; without this cancelled ones linger for an hour.
    timerPool.setRemoveOnCancelPolicy(true);
    this.timers = timerPool;
    this.calls = new StsCalls(gateway, config, timerPool);
  }

  @Override
  public void onCredentialsChanged(Consumer<RoleRequest> listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  private void changed(RoleRequest request) {
    for (Consumer<RoleRequest> listener : listeners) {
      try {
        listener.accept(request);
      } catch (RuntimeException e) {
        log.warn("a credentials listener failed for {}", request, e);
      }
    }
  }

  @Override
  public CompletableFuture<IssuedCredentials> credentials(RoleRequest request) {
    Instant now = clock.instant();
    CacheEntry entry = entries.get(request);
    if (entry != null && entry.fresh(now)) {
      if (entry.inFlight() == null && entry.refreshDue(now) && !entry.failureRemembered(now)) {
        // The timer normally gets here first; a clock jump or a suspended VM did not let it.
        fetch(request, now, StsPacer.Priority.BACKGROUND);
      }
      CacheMetrics.HIT.inc();
      return CompletableFuture.completedFuture(entry.current());
    }
    return afterMiss(request, now);
  }

  @Override
  public CompletableFuture<IssuedCredentials> prefetch(RoleRequest request) {
    Instant now = clock.instant();
    CacheEntry entry = fetch(request, now, StsPacer.Priority.BACKGROUND);
    if (entry.fresh(now)) {
      return CompletableFuture.completedFuture(entry.current());
    }
    return entry.inFlight() != null
        ? entry.inFlight().copy()
        : CompletableFuture.failedFuture(entry.failure());
  }

  private CompletableFuture<IssuedCredentials> afterMiss(RoleRequest request, Instant now) {
    // A pod waits: its fetch goes before prefetches and refreshes, even one queued before it.
    CacheEntry entry = fetch(request, now, StsPacer.Priority.REQUEST);
    if (entry.fresh(now)) {
      CacheMetrics.HIT.inc(); // another request's fetch finished between our two looks
      return CompletableFuture.completedFuture(entry.current());
    }
    IssuedCredentials usable = entry.usable(now) ? entry.current() : null;
    CompletableFuture<IssuedCredentials> shared = entry.inFlight();
    if (shared == null) {
      // A failure is remembered, so STS is not asked again yet.
      if (usable != null) {
        CacheMetrics.STALE.inc();
        return CompletableFuture.completedFuture(usable);
      }
      CacheMetrics.REMEMBERED.inc();
      return CompletableFuture.failedFuture(entry.failure());
    }
    if (usable != null) {
      // Below the guaranteed lifetime but valid: give STS a moment, then serve what we hold.
      CacheMetrics.STALE.inc();
      return shared
          .copy()
          .completeOnTimeout(usable, config.staleWait().toNanos(), TimeUnit.NANOSECONDS)
          .handle((fresh, error) -> error == null ? fresh : fallBack(entry, error));
    }
    CacheMetrics.MISS.inc();
    return shared.copy();
  }

  /** An outage does not fail a request while the credentials it holds are still usable. */
  private IssuedCredentials fallBack(CacheEntry held, Throwable error) {
    Throwable cause =
        error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (cause instanceof StsFailure failure
        && failure.retryable()
        && held.usable(clock.instant())) {
      return held.current();
    }
    throw error instanceof CompletionException c ? c : new CompletionException(cause);
  }

  /**
   * Installs the entry's one shared fetch unless it is in flight, not needed, or forbidden by a
   * remembered failure; returns the entry as it now stands. A fetch already under way that a pod
   * now waits for is promoted to {@code priority}.
   */
  private CacheEntry fetch(RoleRequest request, Instant now, StsPacer.Priority priority) {
    if (closed) {
      return CacheEntry.EMPTY.outage(StsFailure.closed(), Instant.MAX, false, null);
    }
    CompletableFuture<IssuedCredentials>[] started = newFutureSlot();
    CacheEntry entry =
        entries.compute(
            request,
            (key, old) -> {
              CacheEntry current = old == null ? CacheEntry.EMPTY : old;
              boolean notNeeded =
                  current.inFlight() != null
                      || current.failureRemembered(now)
                      || (current.fresh(now) && !current.refreshDue(now));
              if (notNeeded) {
                return current;
              }
              started[0] = new CompletableFuture<>();
              return current.withInFlight(started[0]);
            });
    if (started[0] != null) {
      CacheMetrics.CACHE_SIZE.set(entries.size());
      CompletableFuture<IssuedCredentials> shared = started[0];
      calls.fetch(
          request,
          priority,
          new StsCalls.Outcome() {
            @Override
            public void issued(IssuedCredentials credentials) {
              succeeded(request, shared, credentials);
            }

            @Override
            public void failed(StsFailure failure) {
              giveUp(request, shared, failure);
            }
          });
    } else if (priority == StsPacer.Priority.REQUEST && entry.inFlight() != null) {
      calls.promote(request);
    }
    return entry;
  }

  private void succeeded(
      RoleRequest request, CompletableFuture<IssuedCredentials> shared, IssuedCredentials issued) {
    if (closed) {
      shared.complete(issued);
      return;
    }
    Instant now = clock.instant();
    if (!issued.expiration().isAfter(now)) {
      // Refreshing these would loop at once; the cause is nearly always this server's clock.
      giveUp(
          request,
          shared,
          new StsFailure(
              StsFailure.Kind.UNAVAILABLE,
              null,
              "STS issued credentials for "
                  + request.roleArn()
                  + " expiring at "
                  + issued.expiration()
                  + ", already past by this server's clock ("
                  + now
                  + "); check the server's time synchronisation",
              null));
      return;
    }
    CacheEntry entry =
        entries.compute(
            request,
            (key, old) -> {
              cancel(old);
              CacheEntry fresh =
                  CacheEntry.issued(issued, now, config, ThreadLocalRandom.current().nextDouble());
              // Never sooner than the backoff base: very short-lived credentials must not turn
              // the refresh timer into a loop of STS calls.
              Duration untilRefresh = Duration.between(now, fresh.refreshAt());
              if (untilRefresh.compareTo(config.backoffBase()) < 0) {
                untilRefresh = config.backoffBase();
              }
              return fresh.withTimer(schedule(() -> refreshDue(request, issued), untilRefresh));
            });
    CacheMetrics.CACHE_SIZE.set(entries.size());
    CacheLog.issued(request, issued, entry.shortLived(config), config.minimumRemaining());
    shared.complete(issued);
    changed(request);
  }

  private void giveUp(
      RoleRequest request, CompletableFuture<IssuedCredentials> shared, StsFailure failure) {
    if (closed) {
      shared.completeExceptionally(failure);
      return;
    }
    Instant now = clock.instant();
    CacheEntry entry =
        entries.compute(
            request,
            (key, old) -> {
              CacheEntry current = old == null ? CacheEntry.EMPTY : old;
              cancel(current);
              if (!failure.retryable()) {
                Duration memory = config.accessDeniedMemory();
                return CacheEntry.refused(
                    failure, now.plus(memory), schedule(() -> forget(request), memory));
              }
              // Keep pausing longer between fetches while the outage lasts, up to the cap.
              Duration pause = calls.pauseAfter(current.giveUps() + 1);
              boolean keep = current.usable(now);
              IssuedCredentials held = current.current();
              Runnable next = keep ? () -> refreshDue(request, held) : () -> forget(request);
              return current.outage(failure, now.plus(pause), keep, schedule(next, pause));
            });
    CacheMetrics.CACHE_SIZE.set(entries.size());
    if (entry.current() != null) {
      CacheLog.servingThroughOutage(request, entry.current());
    }
    shared.completeExceptionally(failure);
    if (!failure.retryable()) {
      changed(request); // the credentials held were dropped
    }
  }

  /** The entry's timer: refresh while pods use the role, drop the entry when none do. */
  private void refreshDue(RoleRequest request, IssuedCredentials expected) {
    CacheEntry entry = entries.get(request);
    if (entry == null || entry.current() != expected || entry.inFlight() != null) {
      return;
    }
    Instant now = clock.instant();
    Instant dueAt = entry.failureRemembered(now) ? entry.failureUntil() : entry.refreshAt();
    if (now.isBefore(dueAt)) {
      // The cache's clock, not the timer's, decides: wall time and the scheduler's nanoTime
      // disagree by a hair at times, and tests move the clock by hand.
      Duration wait = Duration.between(now, dueAt);
      Duration delay = wait.compareTo(MIN_RESCHEDULE) < 0 ? MIN_RESCHEDULE : wait;
      entries.computeIfPresent(
          request,
          (key, current) ->
              current == entry
                  ? entry.withTimer(schedule(() -> refreshDue(request, expected), delay))
                  : current);
      return;
    }
    boolean inUse;
    try {
      inUse = usage.inUse(request);
    } catch (RuntimeException e) {
      log.warn("could not tell whether {} is still in use; refreshing it anyway", request, e);
      inUse = true;
    }
    if (!inUse) {
      if (entries.remove(request, entry)) {
        CacheMetrics.CACHE_SIZE.set(entries.size());
        CacheLog.dropped(request);
      }
      return;
    }
    fetch(request, now, StsPacer.Priority.BACKGROUND);
  }

  /** Ends a remembered failure's entry once nothing in it is worth keeping. */
  private void forget(RoleRequest request) {
    Instant now = clock.instant();
    entries.computeIfPresent(
        request, (key, entry) -> entry.inFlight() == null && !entry.usable(now) ? null : entry);
    CacheMetrics.CACHE_SIZE.set(entries.size());
  }

  private ScheduledFuture<?> schedule(Runnable task, Duration delay) {
    try {
      return timers.schedule(task, Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      return null; // closing
    }
  }

  private static void cancel(CacheEntry entry) {
    if (entry != null && entry.timer() != null) {
      entry.timer().cancel(false);
    }
  }

  /** Role sessions held. */
  int size() {
    return entries.size();
  }

  /** The shared STS fetch in flight for the request, or null: lets tests await a refresh. */
  CompletableFuture<IssuedCredentials> pending(RoleRequest request) {
    CacheEntry entry = entries.get(request);
    return entry == null || entry.inFlight() == null ? null : entry.inFlight().copy();
  }

  /** The STS rate limit's queue, for tests. */
  StsPacer pacer() {
    return calls.pacer();
  }

  /** Returns once timer tasks due now have run (the timer thread runs them in order). */
  void awaitTimerTasks(Duration timeout) throws Exception {
    timers.submit(() -> {}).get(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Stops timers and STS calls; requests still waiting fail as UNAVAILABLE. */
  @Override
  public void close() {
    closed = true;
    timers.shutdownNow();
    calls.close();
    StsFailure failure = StsFailure.closed();
    entries.values().stream()
        .map(CacheEntry::inFlight)
        .filter(Objects::nonNull)
        .forEach(f -> f.completeExceptionally(failure));
    entries.clear();
    CacheMetrics.CACHE_SIZE.set(0);
  }

  @SuppressWarnings("unchecked")
  private static CompletableFuture<IssuedCredentials>[] newFutureSlot() {
    return new CompletableFuture[1];
  }
}
