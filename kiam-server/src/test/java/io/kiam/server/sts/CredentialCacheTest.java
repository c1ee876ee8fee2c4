package io.kiam.server.sts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiam.testkit.time.MutableClock;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The cache's own logic against a scripted gateway; STS itself is in CredentialCacheStsTest. */
@Timeout(20)
class CredentialCacheTest {
  private static final Duration WAIT = Duration.ofSeconds(5);
  private static final RoleRequest APP =
      new RoleRequest("arn:aws:iam::123456789012:role/app", "kiam-kiam", Optional.empty());

  private final MutableClock clock = new MutableClock();
  private final List<CredentialCache> caches = new ArrayList<>();

  private CredentialCache cache(StsGateway gateway, RoleUsage usage, CredentialCacheConfig c) {
    CredentialCache cache = new CredentialCache(gateway, usage, c);
    caches.add(cache);
    return cache;
  }

  private CredentialCache cache(StsGateway gateway) {
    return cache(
        gateway, r -> true, fastRetries(CredentialCacheConfig.defaults()).withClock(clock));
  }

  /** Defaults with retry delays short enough for a test. */
  static CredentialCacheConfig fastRetries(CredentialCacheConfig c) {
    return new CredentialCacheConfig(
            c.sessionDuration(),
            c.minimumRemaining(),
            c.refreshAhead(),
            c.maxConcurrentCalls(),
            3,
            Duration.ofMillis(40),
            Duration.ofMillis(200),
            c.accessDeniedMemory(),
            Duration.ofMillis(100),
            c.clock())
        .withRefreshJitter(0);
  }

  /** {@code c} with another staleWait. */
  static CredentialCacheConfig withStaleWait(CredentialCacheConfig c, Duration staleWait) {
    return new CredentialCacheConfig(
        c.sessionDuration(),
        c.minimumRemaining(),
        c.refreshAhead(),
        c.maxConcurrentCalls(),
        c.maxAttempts(),
        c.backoffBase(),
        c.backoffCap(),
        c.accessDeniedMemory(),
        staleWait,
        c.clock(),
        c.pacing(),
        c.refreshJitter());
  }

  /**
   * Waits for {@code answer} while moving the frozen clock past every Throttling pause of the
   * cache's STS rate limit (the pause is judged by the cache's clock, so nothing else ends it).
   */
  static <T> T pastThrottlePauses(
      CompletableFuture<T> answer, CredentialCache cache, MutableClock clock) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try {
        return answer.get(20, TimeUnit.MILLISECONDS);
      } catch (TimeoutException stillWaiting) {
        if (System.nanoTime() - deadline > 0) {
          throw stillWaiting;
        }
      }
      if (cache.pacer().paused()) {
        clock.advance(Duration.ofMinutes(1)); // past the longest pause
      }
    }
  }

  @AfterEach
  void close() {
    caches.forEach(CredentialCache::close);
  }

  @Test
  void fiftyConcurrentRequestsShareOneStsCall() throws Exception {
    ScriptedGateway sts = new ScriptedGateway(clock).hold();
    CredentialCache cache = cache(sts);
    ExecutorService callers = Executors.newFixedThreadPool(50);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<java.util.concurrent.Future<CompletableFuture<IssuedCredentials>>> asked =
          new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        asked.add(
            callers.submit(
                () -> {
                  start.await();
                  return cache.credentials(APP);
                }));
      }
      start.countDown();
      List<CompletableFuture<IssuedCredentials>> answers = new ArrayList<>();
      for (var a : asked) {
        answers.add(a.get(5, TimeUnit.SECONDS));
      }
      sts.release();
      Set<String> keys =
          answers.stream()
              .map(f -> f.orTimeout(5, TimeUnit.SECONDS).join().accessKeyId())
              .collect(Collectors.toSet());
      assertEquals(Set.of("ASIATEST1"), keys);
      assertEquals(1, sts.calls());
    } finally {
      callers.shutdownNow();
    }
  }

  @Test
  void aPrefetchedEntryAnswersTheFirstRequestWithoutAnStsCall() throws Exception {
    ScriptedGateway sts = new ScriptedGateway(clock);
    CredentialCache cache = cache(sts);
    cache.prefetch(APP).get(5, TimeUnit.SECONDS);
    CompletableFuture<IssuedCredentials> first = cache.credentials(APP);
    assertTrue(first.isDone(), "answered at once, from the cache");
    assertEquals("ASIATEST1", first.join().accessKeyId());
    assertEquals(1, sts.calls());
  }

  @Test
  void refreshesOnItsOwnTimerBeforeTheCredentialsRunLowAndServesTheOldOnesMeanwhile()
      throws Exception {
    // Real time: STS issues 2 s credentials, far below the 30 min the cache wants to keep, so the
    // thresholds shrink to fractions of the lifetime and the refresh is due after 0.5 s.
    ScriptedGateway sts = new ScriptedGateway(Clock.systemUTC()).lifetime(Duration.ofSeconds(2));
    CredentialCache cache =
        cache(
            sts,
            r -> true,
            fastRetries(CredentialCacheConfig.defaults()).withClock(Clock.systemUTC()));
    IssuedCredentials first = cache.prefetch(APP).get(5, TimeUnit.SECONDS);
    sts.hold();

    sts.awaitCalls(2, WAIT); // no request asked: the entry's own timer did
    CompletableFuture<IssuedCredentials> refresh = cache.pending(APP);
    assertNotNull(refresh);
    CompletableFuture<IssuedCredentials> meanwhile = cache.credentials(APP);
    assertTrue(meanwhile.isDone(), "a request during the refresh does not wait for STS");
    assertSame(first, meanwhile.join());

    sts.release();
    IssuedCredentials second = refresh.get(5, TimeUnit.SECONDS);
    assertTrue(second.expiration().isAfter(first.expiration()), "the refresh came before expiry");
    assertTrue(
        java.time.Instant.now().isBefore(first.expiration()), "the old ones had not expired yet");
    assertSame(second, cache.credentials(APP).join());
  }

  @Test
  void refreshIsDueTwentyFiveMinutesIntoAnHourAndServedCredentialsKeepThirtyMinutes()
      throws Exception {
    ScriptedGateway sts = new ScriptedGateway(clock);
    // Below the guaranteed lifetime a request waits staleWait for STS, then takes what is held.
    // This
    // test asserts the wait itself, so staleWait must not be a real-time race against the STS call.
    CredentialCache cache =
        cache(
            sts,
            r -> true,
            withStaleWait(
                fastRetries(CredentialCacheConfig.defaults()).withClock(clock),
                Duration.ofHours(1)));
    IssuedCredentials first = cache.prefetch(APP).get(5, TimeUnit.SECONDS);

    clock.advance(Duration.ofMinutes(24));
    assertSame(first, cache.credentials(APP).join());
    assertNull(cache.pending(APP), "not due yet");
    assertEquals(1, sts.calls());

    // The injected clock jumped past the timer's deadline; the next request notices.
    clock.advance(Duration.ofMinutes(1).plusSeconds(1));
    sts.hold();
    assertSame(first, cache.credentials(APP).join(), "still fresh: served at once");
    CompletableFuture<IssuedCredentials> refresh = cache.pending(APP);
    assertNotNull(refresh, "refresh started in the background");
    sts.release();
    IssuedCredentials second = refresh.get(5, TimeUnit.SECONDS);
    assertSame(second, cache.credentials(APP).join());

    // 30 min after the second issue they are no longer served as fresh: the caller waits for STS.
    clock.advance(Duration.ofMinutes(30).plusSeconds(1));
    IssuedCredentials third = cache.credentials(APP).get(5, TimeUnit.SECONDS);
    assertEquals("ASIATEST3", third.accessKeyId());
    assertTrue(
        Duration.between(clock.instant(), third.expiration()).toMinutes() >= 30,
        "what is served keeps at least the guaranteed lifetime");
  }

  @Test
  void tellsListenersWhenCredentialsAreIssuedRefreshedOrDropped() throws Exception {
    ScriptedGateway sts = new ScriptedGateway(clock);
    CredentialCache cache = cache(sts);
    java.util.concurrent.BlockingQueue<RoleRequest> changes =
        new java.util.concurrent.LinkedBlockingQueue<>();
    cache.onCredentialsChanged(changes::add);

    cache.prefetch(APP).get(5, TimeUnit.SECONDS);
    assertEquals(APP, changes.poll(5, TimeUnit.SECONDS), "issued");
    cache.credentials(APP).join();
    assertNull(changes.poll(), "a cache hit changes nothing");

    clock.advance(Duration.ofMinutes(25).plusSeconds(1));
    // This request starts the refresh in the background; the STS call may finish before the test
    // could look at it, so the listener's call is what the test waits for.
    cache.credentials(APP).join();
    assertEquals(APP, changes.poll(5, TimeUnit.SECONDS), "refreshed");

    sts.failAlways(ScriptedGateway.denied());
    clock.advance(Duration.ofMinutes(26));
    cache.credentials(APP).join();
    assertEquals(APP, changes.poll(5, TimeUnit.SECONDS), "dropped after AccessDenied");
  }

  @Test
  void dropsAnEntryWhenNoLivePodUsesItAnyMore() throws Exception {
    ScriptedGateway sts = new ScriptedGateway(Clock.systemUTC()).lifetime(Duration.ofSeconds(1));
    CountDownLatch asked = new CountDownLatch(1);
    RoleUsage nobody =
        r -> {
          asked.countDown();
          return false;
        };
    CredentialCache cache =
        cache(
            sts,
            nobody,
            fastRetries(CredentialCacheConfig.defaults()).withClock(Clock.systemUTC()));
    cache.prefetch(APP).get(5, TimeUnit.SECONDS);
    assertEquals(1, cache.size());

    assertTrue(asked.await(5, TimeUnit.SECONDS), "the refresh timer asks about usage");
    cache.awaitTimerTasks(WAIT);
    assertEquals(0, cache.size());
    assertEquals(1, sts.calls(), "no STS call for a role nobody uses");
  }

  @Test
  void boundsConcurrentStsCallsAcrossRoles() throws Exception {
    ScriptedGateway sts = new ScriptedGateway(clock).hold();
    CredentialCacheConfig base = fastRetries(CredentialCacheConfig.defaults()).withClock(clock);
    CredentialCache cache = cache(sts, r -> true, base.withMaxConcurrentCalls(3));
    List<CompletableFuture<IssuedCredentials>> answers = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      answers.add(
          cache.credentials(
              new RoleRequest(
                  "arn:aws:iam::123456789012:role/r" + i, "kiam-kiam", Optional.empty())));
    }
    sts.awaitCalls(3, WAIT);
    sts.release();
    CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
    assertEquals(10, sts.calls());
    assertEquals(3, sts.maxInFlight());
  }

  @Test
  void retriesThrottlingWithGrowingJitteredDelaysThenSucceeds() throws Exception {
    ScriptedGateway sts =
        new ScriptedGateway(clock)
            .failNext(ScriptedGateway.throttled(), ScriptedGateway.throttled());
    CredentialCache cache = cache(sts);
    IssuedCredentials issued = pastThrottlePauses(cache.credentials(APP), cache, clock);
    assertEquals("ASIATEST3", issued.accessKeyId());
    List<Long> at = sts.callNanos();
    // Equal jitter with a 40 ms base: the n-th delay is at least half of 40 ms * 2^(n-1).
    assertTrue(at.get(1) - at.get(0) >= TimeUnit.MILLISECONDS.toNanos(20), "first backoff");
    assertTrue(at.get(2) - at.get(1) >= TimeUnit.MILLISECONDS.toNanos(40), "second backoff");
  }

  @Test
  void anOutageKeepsServingValidCredentialsAndFailsOnlyWhenNoneRemain() throws Exception {
    ScriptedGateway sts = new ScriptedGateway(clock);
    CredentialCache cache = cache(sts);
    IssuedCredentials held = cache.prefetch(APP).get(5, TimeUnit.SECONDS);
    sts.failAlways(ScriptedGateway.unavailable());

    // Below the 30 minutes served credentials should keep, but 29 minutes are still valid.
    clock.advance(Duration.ofMinutes(31));
    assertSame(held, cache.credentials(APP).get(5, TimeUnit.SECONDS));
    CompletableFuture<IssuedCredentials> refresh = cache.pending(APP);
    if (refresh != null) {
      assertThrows(ExecutionException.class, () -> refresh.get(5, TimeUnit.SECONDS));
    }
    int callsAfterGivingUp = sts.calls();
    assertEquals(1 + 3, callsAfterGivingUp, "the prefetch, then one fetch of maxAttempts calls");

    CompletableFuture<IssuedCredentials> again = cache.credentials(APP);
    assertTrue(again.isDone(), "the outage is remembered: no wait, no STS call");
    assertSame(held, again.join());
    assertEquals(callsAfterGivingUp, sts.calls());

    // Less than a minute left: nothing usable remains, and the outage is reported.
    clock.advance(Duration.ofMinutes(28).plusSeconds(30));
    ExecutionException failed =
        assertThrows(
            ExecutionException.class, () -> cache.credentials(APP).get(5, TimeUnit.SECONDS));
    StsFailure failure = assertInstanceOf(StsFailure.class, failed.getCause());
    assertEquals(StsFailure.Kind.UNAVAILABLE, failure.kind());
    assertEquals(Optional.of("ServiceUnavailable"), failure.errorCode());

    sts.recover();
    clock.advance(Duration.ofSeconds(1)); // past the pause between fetches
    IssuedCredentials recovered = cache.credentials(APP).get(5, TimeUnit.SECONDS);
    assertTrue(recovered.expiration().isAfter(clock.instant().plus(Duration.ofMinutes(59))));
  }

  @Test
  void accessDeniedDropsHeldCredentialsAndIsAnsweredFromMemoryThenAskedAgain() throws Exception {
    ScriptedGateway sts = new ScriptedGateway(clock);
    CredentialCache cache = cache(sts);
    cache.prefetch(APP).get(5, TimeUnit.SECONDS);
    sts.failAlways(ScriptedGateway.denied());

    clock.advance(Duration.ofMinutes(26)); // refresh due; the refresh is refused
    sts.hold();
    cache.credentials(APP).join();
    CompletableFuture<IssuedCredentials> refresh = cache.pending(APP);
    assertNotNull(refresh);
    sts.release();
    assertThrows(ExecutionException.class, () -> refresh.get(5, TimeUnit.SECONDS));

    CompletableFuture<IssuedCredentials> refused = cache.credentials(APP);
    assertTrue(refused.isCompletedExceptionally(), "the trust was withdrawn: nothing is served");
    StsFailure failure =
        assertInstanceOf(
            StsFailure.class, assertThrows(ExecutionException.class, refused::get).getCause());
    assertEquals(StsFailure.Kind.ACCESS_DENIED, failure.kind());
    assertTrue(failure.getMessage().contains("not authorized"), failure.getMessage());
    assertEquals(2, sts.calls(), "answered from memory");

    sts.recover();
    clock.advance(CredentialCacheConfig.DEFAULT_ACCESS_DENIED_MEMORY.plusSeconds(1));
    assertEquals("ASIATEST3", cache.credentials(APP).get(5, TimeUnit.SECONDS).accessKeyId());
  }

  @Test
  void aCallerThatCancelsOrTimesOutDoesNotFailTheOthers() throws Exception {
    ScriptedGateway sts = new ScriptedGateway(clock).hold();
    CredentialCache cache = cache(sts);
    CompletableFuture<IssuedCredentials> cancelled = cache.credentials(APP);
    CompletableFuture<IssuedCredentials> impatient =
        cache.credentials(APP).orTimeout(10, TimeUnit.MILLISECONDS);
    CompletableFuture<IssuedCredentials> patient = cache.credentials(APP);
    cancelled.cancel(true);
    assertThrows(ExecutionException.class, () -> impatient.get(5, TimeUnit.SECONDS));
    assertInstanceOf(
        TimeoutException.class, assertThrows(ExecutionException.class, impatient::get).getCause());

    sts.release();
    assertEquals("ASIATEST1", patient.get(5, TimeUnit.SECONDS).accessKeyId());
    assertTrue(cache.credentials(APP).isDone(), "the shared call's result was cached");
    assertEquals(1, sts.calls());
  }

  @Test
  void closingFailsWaitingRequestsAsUnavailable() throws Exception {
    ScriptedGateway sts = new ScriptedGateway(clock).hold();
    CredentialCache cache = cache(sts);
    CompletableFuture<IssuedCredentials> waiting = cache.credentials(APP);
    sts.awaitCalls(1, WAIT);
    cache.close();
    sts.release();
    StsFailure failure =
        assertInstanceOf(
            StsFailure.class,
            assertThrows(ExecutionException.class, () -> waiting.get(5, TimeUnit.SECONDS))
                .getCause());
    assertEquals(StsFailure.Kind.UNAVAILABLE, failure.kind());
    assertTrue(cache.credentials(APP).isCompletedExceptionally());
    assertFalse(cache.size() > 0);
  }

  @Test
  void countsRequestsStsCallsAndEntriesInTheDefaultRegistry() throws Exception {
    ScriptedGateway sts = new ScriptedGateway(clock);
    CredentialCache cache = cache(sts);
    double hits = Scrape.counter("kiam_credential_cache_requests", "result", "hit");
    double misses = Scrape.counter("kiam_credential_cache_requests", "result", "miss");
    double successes = Scrape.counter("kiam_sts_assume_role_calls", "outcome", "success");
    double throttled = Scrape.counter("kiam_sts_assume_role_calls", "outcome", "throttled");
    long timed = Scrape.histogramCount("kiam_sts_assume_role_duration_seconds");

    sts.failNext(ScriptedGateway.throttled());
    // A miss: throttled once, then issued.
    pastThrottlePauses(cache.credentials(APP), cache, clock);
    cache.credentials(APP).get(5, TimeUnit.SECONDS); // a hit

    assertEquals(hits + 1, Scrape.counter("kiam_credential_cache_requests", "result", "hit"));
    assertEquals(misses + 1, Scrape.counter("kiam_credential_cache_requests", "result", "miss"));
    assertEquals(successes + 1, Scrape.counter("kiam_sts_assume_role_calls", "outcome", "success"));
    assertEquals(
        throttled + 1, Scrape.counter("kiam_sts_assume_role_calls", "outcome", "throttled"));
    assertEquals(timed + 2, Scrape.histogramCount("kiam_sts_assume_role_duration_seconds"));
    assertEquals(1.0, Scrape.gauge("kiam_credential_cache_entries"));
  }
}
