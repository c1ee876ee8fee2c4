package io.kiam.server.sts;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs the credential cache's AssumeRole fetches through the {@link StsPacer} (the STS rate limit,
 * at most {@code maxConcurrentCalls} at a time, pods' requests first), each retried on throttling
 * and outages with jittered exponential backoff, up to {@code maxAttempts}; every call counted and
 * timed.
 */
final class StsCalls implements AutoCloseable {
  /** Where one fetch's result goes; called once, on an STS call thread. */
  interface Outcome {
    void issued(IssuedCredentials credentials);

    void failed(StsFailure failure);
  }

  private final StsGateway gateway;
  private final CredentialCacheConfig config;
  private final ScheduledExecutorService timers;
  private final ExecutorService threads;
  private final Backoff backoff;
  private final StsPacer pacer;

  /** The priority of each fetch under way, so its retries keep a promotion. */
  private final ConcurrentHashMap<RoleRequest, StsPacer.Priority> underWay =
      new ConcurrentHashMap<>();

  private volatile boolean closed;

  StsCalls(StsGateway gateway, CredentialCacheConfig config, ScheduledExecutorService timers) {
    this.gateway = gateway;
    this.config = config;
    this.timers = timers;
    this.backoff = new Backoff(config.backoffBase(), config.backoffCap());
    // The pacer never dispatches more than there are threads, so no call queues in the pool.
    this.threads =
        Executors.newFixedThreadPool(
            config.maxConcurrentCalls(), DaemonThreads.named("kiam-sts-call"));
    Duration cap = config.backoffCap();
    Duration firstPause = Duration.ofSeconds(1).compareTo(cap) < 0 ? Duration.ofSeconds(1) : cap;
    this.pacer =
        new StsPacer(
            config.pacing(),
            config.maxConcurrentCalls(),
            config.clock(),
            new Backoff(firstPause, cap),
            threads,
            (task, delay) -> {
              try {
                timers.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
              } catch (RejectedExecutionException closing) {
                // the cache is closing
              }
            });
  }

  /** Starts one fetch: the first attempt when the rate limit and a free thread allow. */
  void fetch(RoleRequest request, StsPacer.Priority priority, Outcome outcome) {
    underWay.put(request, priority);
    submit(request, outcome, 1);
  }

  /** A pod now waits for the fetch of {@code request}: it goes before background fetches. */
  void promote(RoleRequest request) {
    if (underWay.replace(request, StsPacer.Priority.BACKGROUND, StsPacer.Priority.REQUEST)) {
      pacer.promote(request);
    }
  }

  /** The pacer, for tests that look at its queue. */
  StsPacer pacer() {
    return pacer;
  }

  /**
   * How long to leave STS alone after the {@code giveUps}-th fetch in a row failed: the backoff
   * curve continued past the attempts already made, so an outage is probed ever more gently.
   */
  Duration pauseAfter(int giveUps) {
    return backoff.delay(config.maxAttempts() + giveUps - 1);
  }

  private void submit(RoleRequest request, Outcome outcome, int attempt) {
    if (closed) {
      finish(request, outcome).failed(StsFailure.closed());
      return;
    }
    StsPacer.Priority priority = underWay.getOrDefault(request, StsPacer.Priority.BACKGROUND);
    pacer.submit(request, priority, () -> attempt(request, outcome, attempt));
  }

  /** Ends a fetch's bookkeeping; returns the outcome to report to. */
  private Outcome finish(RoleRequest request, Outcome outcome) {
    underWay.remove(request);
    return outcome;
  }

  private void attempt(RoleRequest request, Outcome outcome, int attempt) {
    if (closed) {
      finish(request, outcome).failed(StsFailure.closed());
      return;
    }
    long start = System.nanoTime();
    IssuedCredentials issued;
    CacheMetrics.stsCallStarted();
    try {
      issued = gateway.assumeRole(request, config.sessionDuration());
    } catch (StsFailure failure) {
      CacheMetrics.stsCall(CacheMetrics.outcome(failure), System.nanoTime() - start);
      if (failure.throttled()) {
        pacer.throttled();
      }
      failed(request, outcome, attempt, failure);
      return;
    } catch (RuntimeException e) {
      // A gateway bug must not leave the shared future, and everyone waiting on it, hanging.
      StsFailure failure =
          new StsFailure(
              StsFailure.Kind.UNAVAILABLE,
              null,
              "AssumeRole of " + request.roleArn() + " failed unexpectedly: " + e,
              e);
      CacheMetrics.stsCall("unavailable", System.nanoTime() - start);
      failed(request, outcome, attempt, failure);
      return;
    }
    CacheMetrics.stsCall("success", System.nanoTime() - start);
    pacer.succeeded();
    finish(request, outcome).issued(issued);
  }

  private void failed(RoleRequest request, Outcome outcome, int attempt, StsFailure failure) {
    if (failure.retryable() && attempt < config.maxAttempts() && !closed) {
      Duration delay = backoff.delay(attempt);
      try {
        timers.schedule(
            () -> submit(request, outcome, attempt + 1), delay.toNanos(), TimeUnit.NANOSECONDS);
        CacheLog.retrying(request, failure, attempt, delay);
        return;
      } catch (RejectedExecutionException closing) {
        // fall through: report the failure we have
      }
    }
    CacheLog.gaveUp(request, failure);
    finish(request, outcome).failed(failure);
  }

  /** Interrupts calls in flight; their fetches fail as the cache is closing. */
  @Override
  public void close() {
    closed = true;
    pacer.close();
    threads.shutdownNow();
  }
}
