package io.kiam.agent.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** What memory may answer, on a clock the test moves. */
class NodeViewTest {
  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final NodeView view = new NodeView(Duration.ofSeconds(60), now::get);

  private static PodAccess pod(String name) {
    return new PodAccess(new PodRef("shop", name), "uid-" + name, "r", "", "", null, "", null);
  }

  @Test
  void nothingAnswersBeforeTheFirstSnapshotIsWhole() {
    view.subscribed();
    view.assigned("10.0.0.1", pod("a"));

    assertNull(view.lookup("10.0.0.1"));
    view.snapshotComplete();
    assertEquals("a", view.lookup("10.0.0.1").pod().name());
  }

  @Test
  void knownPodsAreAnsweredForTheGraceAndNotANanosecondLonger() {
    view.subscribed();
    view.assigned("10.0.0.1", pod("a"));
    view.snapshotComplete();

    view.lost();
    now.addAndGet(Duration.ofSeconds(60).toNanos());
    assertEquals("a", view.lookup("10.0.0.1").pod().name());
    assertEquals("", view.outage());
    now.incrementAndGet();
    assertNull(view.lookup("10.0.0.1"));
    assertTrue(view.outage().contains("--disconnected-grace 60s"), view.outage());
  }

  @Test
  void aNewSnapshotReplacesMemoryWholeWhileTheOldOneAnswersMeanwhile() {
    view.subscribed();
    view.assigned("10.0.0.1", pod("a"));
    view.assigned("10.0.0.2", pod("b"));
    view.snapshotComplete();
    view.lost();

    view.subscribed();
    view.assigned("10.0.0.1", pod("c"));
    assertEquals(
        "a", view.lookup("10.0.0.1").pod().name(), "old memory until the snapshot is whole");
    view.snapshotComplete();

    assertEquals("c", view.lookup("10.0.0.1").pod().name());
    assertNull(view.lookup("10.0.0.2"), "absent from the new snapshot: gone");
    assertSame(NodeView.State.LIVE, view.state());
  }

  @Test
  void changesAfterTheSnapshotApplyAtOnceAndMarkTheIp() {
    view.subscribed();
    view.snapshotComplete();
    long before = view.stamp("10.0.0.1");

    view.assigned("10.0.0.1", pod("a"));
    view.removed("10.0.0.1");

    assertNull(view.lookup("10.0.0.1"));
    assertTrue(!view.unchangedSince("10.0.0.1", before), "a cold answer from before is stale");
  }
}
