package io.kiam.server.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * What a stale pod view still answers: IPs answered while fresh, for the same pod; nothing else.
 */
class StaleViewGuardTest {
  private final Map<String, PodLookup> index = new HashMap<>();
  private Optional<String> stale = Optional.empty();
  private final AtomicInteger refusals = new AtomicInteger();

  private final PodFinder finder =
      new PodFinder() {
        @Override
        public PodLookup findByIp(String ip) {
          return index.getOrDefault(ip, new PodLookup.NotFound(ip));
        }

        @Override
        public CompletableFuture<PodLookup> awaitByIp(String ip, Duration wait) {
          return CompletableFuture.completedFuture(findByIp(ip));
        }
      };

  private final StaleViewGuard guard =
      new StaleViewGuard(finder, () -> stale, refusals::incrementAndGet);

  private static PodInfo pod(String uid, String name, String ip) {
    return new PodInfo(
        uid,
        "shop",
        name,
        List.of(ip),
        PodPhase.RUNNING,
        false,
        false,
        "shop-web",
        null,
        null,
        "default",
        "1");
  }

  private PodInfo place(String uid, String name, String ip) {
    PodInfo pod = pod(uid, name, ip);
    index.put(ip, new PodLookup.Found(pod));
    return pod;
  }

  @Test
  void aFreshViewAnswersEverything() {
    place("u1", "web", "10.0.0.1");
    assertInstanceOf(PodLookup.Found.class, guard.findByIp("10.0.0.1"));
    assertInstanceOf(PodLookup.NotFound.class, guard.findByIp("10.0.0.2"));
    assertEquals(0, refusals.get());
  }

  @Test
  void aStaleViewKeepsAnsweringPodsItAnsweredAndRefusesNewIps() {
    PodInfo web = place("u1", "web", "10.0.0.1");
    guard.findByIp("10.0.0.1"); // answered while fresh
    place("u2", "batch", "10.0.0.2"); // in the index, never asked for while fresh

    stale = Optional.of("the pods watch has been down for 90s");
    assertSame(web, ((PodLookup.Found) guard.findByIp("10.0.0.1")).pod());
    StaleViewException refused =
        assertThrows(StaleViewException.class, () -> guard.findByIp("10.0.0.2"));
    assertTrue(refused.getMessage().contains("10.0.0.2"), refused.getMessage());
    assertTrue(refused.getMessage().contains("down for 90s"), refused.getMessage());
    assertThrows(StaleViewException.class, () -> guard.findByIp("10.0.0.3")); // no pod at all
    assertEquals(2, refusals.get());
  }

  @Test
  void anIpWhoseOwnerChangedIsRefusedWhileStale() {
    place("u1", "old", "10.0.0.1");
    guard.findByIp("10.0.0.1");
    place("u9", "new", "10.0.0.1"); // the IP went to another pod (seen just before the watch broke)
    stale = Optional.of("stale");
    assertThrows(StaleViewException.class, () -> guard.findByIp("10.0.0.1"));
  }

  @Test
  void aDeletedPodNoLongerVouchesForItsIp() {
    PodInfo web = place("u1", "web", "10.0.0.1");
    guard.findByIp("10.0.0.1");
    guard.podChanged(web, null);
    stale = Optional.of("stale");
    assertThrows(StaleViewException.class, () -> guard.findByIp("10.0.0.1"));
    assertEquals(0, guard.knownIps());
  }

  @Test
  void awaitingLookupsFailTheSameWay() {
    stale = Optional.of("stale");
    CompletableFuture<PodLookup> answer = guard.awaitByIp("10.0.0.5", Duration.ZERO);
    CompletionException failed = assertThrows(CompletionException.class, answer::join);
    assertInstanceOf(StaleViewException.class, failed.getCause());
  }

  @Test
  void freshnessIsZeroWhileWatchingAndCountsFromTheLastSampleSeenWatching() {
    Instant t0 = Instant.parse("2026-01-02T03:04:05Z");
    WatchFreshness f = new WatchFreshness("pods", t0);
    f.sample(true, t0.plusSeconds(10));
    assertEquals(Duration.ZERO, f.staleness(t0.plusSeconds(10)));
    f.sample(false, t0.plusSeconds(11));
    assertEquals(Duration.ofSeconds(5), f.staleness(t0.plusSeconds(15)));
    f.sample(false, t0.plusSeconds(70));
    assertEquals(Duration.ofSeconds(60), f.staleness(t0.plusSeconds(70)));
    f.sample(true, t0.plusSeconds(71)); // relisted and watching again
    assertEquals(Duration.ZERO, f.staleness(t0.plusSeconds(71)));
  }
}
