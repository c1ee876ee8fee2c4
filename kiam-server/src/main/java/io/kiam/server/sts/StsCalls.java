package io.kiam.server.sts;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs the credential cache's AssumeRole fetches: at most {@code maxConcurrentCalls} at a time,
 * each retried on throttling and outages with jittered exponential backoff, up to {@code
 * maxAttempts}; every call counted and timed.
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
  private volatile boolean closed;

  StsCalls(StsGateway gateway, CredentialCacheConfig config, ScheduledExecutorService timers) {
    this.gateway = gateway;
    this.config = config;
    this.timers = timers;
    this.backoff = new Backoff(config.backoffBase(), config.backoffCap());
    // A fixed pool is the concurrency bound: queued fetches wait for a thread, not for STS.
    this.threads =
        Executors.newFixedThreadPool(
            config.maxConcurrentCalls(), DaemonThreads.named("kiam-sts-call"));
  }

  /** Starts one fetch: the first attempt as soon as a thread is free. */
  void fetch(RoleRequest request, Outcome outcome) {
    submit(request, outcome, 1);
  }

  /**
   * How long to leave STS alone after the {@code giveUps}-th fetch in a row failed: the backoff
   * curve continued past the attempts already made, so an outage is probed ever more gently.
   */
  Duration pauseAfter(int giveUps) {
    return backoff.delay(config.maxAttempts() + giveUps - 1);
  }

  private void submit(RoleRequest request, Outcome outcome, int attempt) {
    try {
      threads.execute(() -> attempt(request, outcome, attempt));
    } catch (RejectedExecutionException e) {
      outcome.failed(CredentialCache.closedFailure());
    }
  }

  private void attempt(RoleRequest request, Outcome outcome, int attempt) {
    if (closed) {
      outcome.failed(CredentialCache.closedFailure());
      return;
    }
    long start = System.nanoTime();
    IssuedCredentials issued;
    CacheMetrics.stsCallStarted();
    try {
      issued = gateway.assumeRole(request, config.sessionDuration());
    } catch (StsFailure failure) {
      CacheMetrics.stsCall(CacheMetrics.outcome(failure), System.nanoTime() - start);
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
    outcome.issued(issued);
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
    outcome.failed(failure);
  }

  /** Interrupts calls in flight; their fetches fail as the cache is closing. */
  @Override
  public void close() {
    closed = true;
    threads.shutdownNow();
  }
}
