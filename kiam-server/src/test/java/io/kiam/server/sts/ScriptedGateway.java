package io.kiam.server.sts;

import io.kiam.server.policy.RoleArns;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A hand-written STS gateway for the cache's own logic: issues credentials of a chosen lifetime,
 * fails from a script, can hold calls at a gate, and counts calls and concurrency.
 */
final class ScriptedGateway implements StsGateway {
  private final Clock clock;
  private volatile Duration lifetime = Duration.ofHours(1);
  private volatile CountDownLatch gate;
  private volatile StsFailure alwaysFail;
  private final ConcurrentLinkedDeque<StsFailure> script = new ConcurrentLinkedDeque<>();
  private final AtomicInteger calls = new AtomicInteger();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();
  private final List<Long> callNanos = new ArrayList<>();
  private final List<RoleRequest> requests = new ArrayList<>();

  ScriptedGateway(Clock clock) {
    this.clock = clock;
  }

  ScriptedGateway lifetime(Duration issued) {
    this.lifetime = issued;
    return this;
  }

  /** Holds every call until {@link #release()}. */
  ScriptedGateway hold() {
    gate = new CountDownLatch(1);
    return this;
  }

  void release() {
    CountDownLatch g = gate;
    if (g != null) {
      g.countDown();
    }
  }

  /** The next calls fail with these, in order; then calls succeed again. */
  ScriptedGateway failNext(StsFailure... failures) {
    script.addAll(List.of(failures));
    return this;
  }

  /** Every call fails with this until {@link #recover()}. */
  ScriptedGateway failAlways(StsFailure failure) {
    alwaysFail = failure;
    return this;
  }

  void recover() {
    alwaysFail = null;
  }

  @Override
  public IssuedCredentials assumeRole(RoleRequest request, Duration sessionDuration) {
    // Counted in flight before it is seen as made, so a test that saw n calls sees them all.
    maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
    int n = calls.incrementAndGet();
    synchronized (this) {
      callNanos.add(System.nanoTime());
      requests.add(request);
      notifyAll();
    }
    try {
      CountDownLatch g = gate;
      if (g != null && !g.await(10, TimeUnit.SECONDS)) {
        throw new AssertionError("gate never opened");
      }
      StsFailure scripted = script.poll();
      if (scripted != null) {
        throw scripted;
      }
      if (alwaysFail != null) {
        throw alwaysFail;
      }
      Instant now = clock.instant();
      return new IssuedCredentials(
          "ASIATEST" + n,
          "secret-" + n,
          "token-" + n,
          now.plus(lifetime),
          now,
          RoleArns.accountId(request.roleArn()),
          request.roleArn());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StsFailure(StsFailure.Kind.UNAVAILABLE, "interrupted", e);
    } finally {
      inFlight.decrementAndGet();
    }
  }

  int calls() {
    return calls.get();
  }

  int maxInFlight() {
    return maxInFlight.get();
  }

  synchronized List<Long> callNanos() {
    return List.copyOf(callNanos);
  }

  synchronized List<RoleRequest> requests() {
    return List.copyOf(requests);
  }

  /** Waits until at least {@code n} calls were made. */
  synchronized void awaitCalls(int n, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (requests.size() < n) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError("expected " + n + " STS calls, saw " + requests.size());
      }
      wait(Math.max(1, left / 1_000_000));
    }
  }

  static StsFailure throttled() {
    return new StsFailure(StsFailure.Kind.UNAVAILABLE, "Throttling", "Rate exceeded", null);
  }

  static StsFailure unavailable() {
    return new StsFailure(
        StsFailure.Kind.UNAVAILABLE, "ServiceUnavailable", "Service is unable to handle", null);
  }

  static StsFailure denied() {
    return new StsFailure(
        StsFailure.Kind.ACCESS_DENIED,
        "AccessDenied",
        "not authorized to perform AssumeRole",
        null);
  }
}
