package io.kiam.server.sts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiam.server.sts.StsPacer.Priority;
import io.kiam.testkit.time.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The STS rate limit on its own, driven by hand: a clock the test moves, calls that run only when
 * the test runs them, and wake-ups the test fires. Nothing here depends on real time.
 */
class StsPacerTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-01-02T03:04:05Z"));

  /** Dispatched calls, held until the test runs them (each frees its slot when it has run). */
  private final Deque<Runnable> dispatched = new ArrayDeque<>();

  /** Wake-ups the pacer asked for, with their delays. */
  private final List<Duration> wakeupDelays = new ArrayList<>();

  private final List<Runnable> wakeups = new ArrayList<>();

  /** The names of the calls that have been sent, in order. */
  private final List<String> sent = new ArrayList<>();

  /** Pauses after a Throttling: 1 s, then 2 s, 4 s ... without jitter (random 1.0). */
  private StsPacer pacer(double perSecond, int burst, int maxInFlight) {
    return new StsPacer(
        new CredentialCacheConfig.Pacing(perSecond, burst),
        maxInFlight,
        clock,
        new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), () -> 1.0),
        dispatched::add,
        (task, delay) -> {
          wakeups.add(task);
          wakeupDelays.add(delay);
        });
  }

  private void submit(StsPacer pacer, String name, Priority priority) {
    pacer.submit(name, priority, () -> sent.add(name));
  }

  /** Runs every dispatched call (as the STS threads would), freeing their slots. */
  private void runDispatched() {
    while (!dispatched.isEmpty()) {
      dispatched.poll().run();
    }
  }

  private void fireWakeups() {
    List<Runnable> due = new ArrayList<>(wakeups);
    wakeups.clear();
    due.forEach(Runnable::run);
  }

  @Test
  void aBurstGoesAtOnceAndTheRestAtTheRate() {
    StsPacer pacer = pacer(2, 3, 100);
    for (int i = 1; i <= 6; i++) {
      submit(pacer, "r" + i, Priority.BACKGROUND);
    }
    runDispatched();
    assertEquals(List.of("r1", "r2", "r3"), sent);
    assertEquals(3, pacer.queued());
    assertEquals(Duration.ofMillis(500), wakeupDelays.get(wakeupDelays.size() - 1));

    clock.advance(Duration.ofMillis(499));
    fireWakeups();
    runDispatched();
    assertEquals(3, sent.size(), "a token is not earned before 1/rate");

    clock.advance(Duration.ofMillis(1));
    fireWakeups();
    runDispatched();
    assertEquals(List.of("r1", "r2", "r3", "r4"), sent);

    clock.advance(Duration.ofSeconds(10)); // the bucket holds no more than the burst
    fireWakeups();
    runDispatched();
    assertEquals(6, sent.size());
    assertEquals(0, pacer.queued());
  }

  @Test
  void neverSendsMoreThanTheRateAllowsOverAMinute() {
    StsPacer pacer = pacer(5, 10, 100);
    for (int i = 0; i < 1000; i++) {
      submit(pacer, "r" + i, Priority.BACKGROUND);
    }
    for (int ms = 0; ms < 60_000; ms += 50) {
      clock.advance(Duration.ofMillis(50));
      fireWakeups();
      runDispatched();
    }
    // The burst, then 5 a second for 60 s.
    assertEquals(10 + 5 * 60, sent.size());
  }

  @Test
  void aPodsRequestGoesBeforeQueuedPrefetchesAndEachClassIsFirstAskedFirstServed() {
    StsPacer pacer = pacer(1, 1, 100);
    submit(pacer, "warm-up", Priority.BACKGROUND); // takes the only token
    submit(pacer, "prefetch-a", Priority.BACKGROUND);
    submit(pacer, "prefetch-b", Priority.BACKGROUND);
    submit(pacer, "pod-1", Priority.REQUEST);
    submit(pacer, "pod-2", Priority.REQUEST);
    runDispatched();
    for (int i = 0; i < 4; i++) {
      clock.advance(Duration.ofSeconds(1));
      fireWakeups();
      runDispatched();
    }
    assertEquals(List.of("warm-up", "pod-1", "pod-2", "prefetch-a", "prefetch-b"), sent);
  }

  @Test
  void aPodJoiningAQueuedPrefetchPromotesIt() {
    StsPacer pacer = pacer(1, 1, 100);
    submit(pacer, "warm-up", Priority.BACKGROUND);
    submit(pacer, "prefetch-a", Priority.BACKGROUND);
    submit(pacer, "prefetch-b", Priority.BACKGROUND);
    submit(pacer, "pod-1", Priority.REQUEST);
    pacer.promote("prefetch-b"); // a pod now waits for it: after pod-1, before prefetch-a
    runDispatched();
    for (int i = 0; i < 3; i++) {
      clock.advance(Duration.ofSeconds(1));
      fireWakeups();
      runDispatched();
    }
    assertEquals(List.of("warm-up", "pod-1", "prefetch-b", "prefetch-a"), sent);
  }

  @Test
  void aThrottlingAnswerEmptiesAndPausesTheWholeBucket() {
    StsPacer pacer = pacer(10, 10, 100);
    submit(pacer, "a", Priority.BACKGROUND);
    runDispatched();
    pacer.throttled(); // STS answered "a" with Throttling
    assertTrue(pacer.paused());
    submit(pacer, "pod-1", Priority.REQUEST);
    submit(pacer, "b", Priority.BACKGROUND);
    runDispatched();
    assertEquals(List.of("a"), sent, "nothing is sent during the pause, 9 tokens or not");
    assertEquals(Duration.ofSeconds(1), wakeupDelays.get(wakeupDelays.size() - 1));

    clock.advance(Duration.ofMillis(999));
    fireWakeups();
    runDispatched();
    assertEquals(List.of("a"), sent);

    clock.advance(Duration.ofMillis(1));
    fireWakeups();
    runDispatched();
    assertFalse(pacer.paused());
    // The bucket was emptied: one second of pause earned the 10 tokens back, no more.
    assertEquals(List.of("a", "pod-1", "b"), sent);
  }

  @Test
  void throttlesOfOneEpisodeShareAPauseAndALaterOneDoublesIt() {
    StsPacer pacer = pacer(100, 100, 100);
    pacer.throttled();
    clock.advance(Duration.ofMillis(300));
    pacer.throttled(); // a call sent before the pause answers late: the same episode
    clock.advance(Duration.ofMillis(699));
    assertTrue(pacer.paused(), "the pause was not lengthened by the same episode");
    clock.advance(Duration.ofMillis(1));
    assertFalse(pacer.paused());

    pacer.throttled(); // throttled again after the pause: 2 s
    clock.advance(Duration.ofMillis(1999));
    assertTrue(pacer.paused());
    clock.advance(Duration.ofMillis(1));
    assertFalse(pacer.paused());

    pacer.succeeded(); // a success resets the streak: back to 1 s
    pacer.throttled();
    clock.advance(Duration.ofSeconds(1));
    assertFalse(pacer.paused());
  }

  @Test
  void callsInFlightAreBoundedAndAFinishedOneLetsTheNextGo() {
    StsPacer pacer = pacer(100, 100, 2);
    submit(pacer, "a", Priority.BACKGROUND);
    submit(pacer, "b", Priority.BACKGROUND);
    submit(pacer, "c", Priority.BACKGROUND);
    assertEquals(2, pacer.inFlight());
    assertEquals(1, pacer.queued());
    assertTrue(wakeups.isEmpty(), "a finishing call, not a timer, frees the slot");
    dispatched.poll().run(); // "a" finishes
    assertEquals(2, pacer.inFlight());
    assertEquals(0, pacer.queued());
    runDispatched();
    assertEquals(List.of("a", "b", "c"), sent);
    assertEquals(0, pacer.inFlight());
  }

  @Test
  void aClockSteppingBackNeitherStallsTheBucketNorStretchesAPause() {
    StsPacer pacer = pacer(1, 1, 100);
    submit(pacer, "a", Priority.BACKGROUND);
    clock.advance(Duration.ofHours(-1));
    submit(pacer, "b", Priority.BACKGROUND);
    clock.advance(Duration.ofSeconds(1));
    fireWakeups();
    runDispatched();
    assertEquals(List.of("a", "b"), sent);

    pacer.throttled();
    clock.advance(Duration.ofHours(-1));
    assertTrue(pacer.paused());
    clock.advance(Duration.ofSeconds(1));
    assertFalse(pacer.paused());
  }

  @Test
  void queuedCallsAreCountedByPriorityInTheDefaultRegistry() {
    StsPacer pacer = pacer(1, 1, 100);
    submit(pacer, "warm-up", Priority.BACKGROUND);
    submit(pacer, "prefetch", Priority.BACKGROUND);
    submit(pacer, "pod", Priority.REQUEST);
    assertEquals(1.0, Scrape.gauge("kiam_sts_assume_role_queued", "priority", "request"));
    assertEquals(1.0, Scrape.gauge("kiam_sts_assume_role_queued", "priority", "background"));
    double pauses = Scrape.counter("kiam_sts_throttle_pauses", null, null);
    pacer.throttled();
    pacer.throttled();
    assertEquals(pauses + 1, Scrape.counter("kiam_sts_throttle_pauses", null, null));
    pacer.close();
    assertEquals(0.0, Scrape.gauge("kiam_sts_assume_role_queued", "priority", "request"));
  }

  @Test
  void refusesARateOrBurstThatCannotWork() {
    assertThrows(IllegalArgumentException.class, () -> new CredentialCacheConfig.Pacing(0, 10));
    assertThrows(
        IllegalArgumentException.class, () -> new CredentialCacheConfig.Pacing(Double.NaN, 10));
    assertThrows(IllegalArgumentException.class, () -> new CredentialCacheConfig.Pacing(5, 0));
  }
}
