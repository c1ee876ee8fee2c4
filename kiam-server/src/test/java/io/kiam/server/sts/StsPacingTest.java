package io.kiam.server.sts;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kiam.testkit.time.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The credential cache behind its STS rate limit: refreshes spread, pods' requests ahead of
 * prefetches. Time is a clock the test moves: while it stands still the bucket earns nothing.
 */
@Timeout(20)
class StsPacingTest {
  private static final Duration WAIT = Duration.ofSeconds(5);

  private final MutableClock clock = new MutableClock();
  private final List<CredentialCache> caches = new ArrayList<>();

  @AfterEach
  void close() {
    caches.forEach(CredentialCache::close);
  }

  private CredentialCache cache(StsGateway gateway, CredentialCacheConfig.Pacing pacing) {
    CredentialCache cache =
        new CredentialCache(
            gateway,
            r -> true,
            CredentialCacheTest.fastRetries(CredentialCacheConfig.defaults())
                .withClock(clock)
                .withPacing(pacing));
    caches.add(cache);
    return cache;
  }

  private static RoleRequest role(String name) {
    return new RoleRequest("arn:aws:iam::123456789012:role/" + name, "kiam-kiam", Optional.empty());
  }

  @Test
  void refreshTimesSpreadOverTheFirstFifthOfTheWaitAndNeverComeLater() {
    CredentialCacheConfig config = CredentialCacheConfig.defaults();
    Instant now = Instant.parse("2026-01-02T03:00:00Z");
    IssuedCredentials hour =
        new IssuedCredentials(
            "ASIA1", "s", "t", now.plus(Duration.ofHours(1)), now, "123456789012", "arn");
    Instant planned = now.plus(Duration.ofMinutes(25));
    assertEquals(planned, CacheEntry.issued(hour, now, config, 0.0).refreshAt());
    assertEquals(
        planned.minus(Duration.ofMinutes(5)),
        CacheEntry.issued(hour, now, config, 1.0).refreshAt());
    assertEquals(
        planned.minus(Duration.ofMinutes(2).plusSeconds(30)),
        CacheEntry.issued(hour, now, config, 0.5).refreshAt());
    CacheEntry spread = CacheEntry.issued(hour, now, config, 1.0);
    assertEquals(now.plus(Duration.ofMinutes(30)), spread.freshUntil(), "the guarantee holds");
    assertEquals(
        planned, CacheEntry.issued(hour, now, config.withRefreshJitter(0), 1.0).refreshAt());
  }

  @Test
  void aPodsFirstRequestOvertakesQueuedPrefetches() throws Exception {
    ScriptedGateway sts = new ScriptedGateway(clock);
    // One call a second, a burst of one: the first prefetch takes the token, the rest queue.
    CredentialCache cache = cache(sts, new CredentialCacheConfig.Pacing(1, 1));
    List<CompletableFuture<IssuedCredentials>> prefetches = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      prefetches.add(cache.prefetch(role("prefetched-" + i)));
    }
    prefetches.get(0).get(5, TimeUnit.SECONDS);
    CompletableFuture<IssuedCredentials> pod = cache.credentials(role("asked-by-a-pod"));
    // A pod also asks for a role whose prefetch is queued: that prefetch moves up behind it.
    CompletableFuture<IssuedCredentials> joined = cache.credentials(role("prefetched-3"));
    assertEquals(5, sts.calls() + cache.pacer().queued(), "one call made, four waiting");

    for (int sent = 2; sent <= 5; sent++) {
      clock.advance(Duration.ofSeconds(1));
      cache.pacer().drain(); // what the wake-up timer does, without waiting for it
      sts.awaitCalls(sent, WAIT);
    }
    pod.get(5, TimeUnit.SECONDS);
    joined.get(5, TimeUnit.SECONDS);
    assertEquals(
        List.of("prefetched-0", "asked-by-a-pod", "prefetched-3", "prefetched-1", "prefetched-2"),
        sts.requests().stream()
            .map(r -> r.roleArn().substring(r.roleArn().indexOf('/') + 1))
            .toList());
  }

  @Test
  void aColdStartMakesOneCallPerRoleSessionAndNoMoreThanTheRateAllows() throws Exception {
    ScriptedGateway sts = new ScriptedGateway(clock);
    CredentialCache cache = cache(sts, new CredentialCacheConfig.Pacing(10, 20));
    List<CompletableFuture<IssuedCredentials>> all = new ArrayList<>();
    for (int pod = 0; pod < 500; pod++) {
      all.add(cache.prefetch(role("r" + pod % 50))); // 500 pods over 50 roles
    }
    sts.awaitCalls(20, WAIT);
    assertEquals(20, sts.calls(), "the burst, and nothing more while the clock stands still");
    clock.advance(Duration.ofSeconds(1));
    cache.pacer().drain();
    sts.awaitCalls(30, WAIT);
    assertEquals(30, sts.calls(), "10 a second after the burst");
    clock.advance(Duration.ofSeconds(2));
    cache.pacer().drain();
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
    assertEquals(50, sts.calls(), "one call per role session");
  }
}
