package io.kiam.server.k8s;

import static io.kiam.server.testing.TestPods.pod;
import static io.kiam.server.testing.TestPods.running;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class PodStoreTest {
  private final ExecutorService executor = Executors.newFixedThreadPool(2);
  private final PodStore store = new PodStore(executor);

  @AfterEach
  void stop() {
    executor.shutdownNow();
  }

  private void put(Pod pod) {
    store.put(store.getKey(pod), pod);
  }

  private PodInfo found(String ip) {
    PodLookup lookup = store.findByIp(ip);
    return assertInstanceOf(PodLookup.Found.class, lookup, lookup.toString()).pod();
  }

  @Test
  void findsRunningPodByIp() {
    put(running("shop", "web-1", "10.0.0.1", "shop-web"));

    PodInfo pod = found("10.0.0.1");
    assertEquals("shop/web-1", pod.qualifiedName());
    assertEquals("shop-web", pod.role());
  }

  @Test
  void pendingPodWithAnIpMatches() {
    put(pod("shop", "starting").ip("10.0.0.2").phase("Pending").build());

    assertEquals("starting", found("10.0.0.2").name());
  }

  @Test
  void returnsNotFoundWhenNoPodHasTheIp() {
    put(running("shop", "web-1", "10.0.0.1", null));

    assertInstanceOf(PodLookup.NotFound.class, store.findByIp("10.0.0.99"));
  }

  @Test
  void finishedPodsNeverMatchAndTheNewOwnerOfTheirIpDoes() {
    put(pod("batch", "job-done").ip("10.0.0.3").phase("Succeeded").role("batch-admin").build());
    put(pod("batch", "job-failed").ip("10.0.0.4").phase("Failed").role("batch-admin").build());
    assertInstanceOf(PodLookup.NotFound.class, store.findByIp("10.0.0.3"));
    assertInstanceOf(PodLookup.NotFound.class, store.findByIp("10.0.0.4"));

    put(running("shop", "new-owner", "10.0.0.3", "shop-web"));

    PodInfo pod = found("10.0.0.3");
    assertEquals("new-owner", pod.name());
    assertEquals("shop-web", pod.role());
  }

  @Test
  void hostNetworkPodsNeverMatch() {
    put(
        pod("kube-system", "node-agent")
            .ip("192.168.1.10")
            .phase("Running")
            .hostNetwork()
            .role("node-admin")
            .build());

    assertInstanceOf(PodLookup.NotFound.class, store.findByIp("192.168.1.10"));
  }

  @Test
  void twoLivePodsOnOneIpAreAnErrorNamingBoth() {
    put(running("a", "first", "10.0.0.5", "a-role"));
    put(running("b", "second", "10.0.0.5", "b-role"));

    PodLookup.Ambiguous ambiguous =
        assertInstanceOf(PodLookup.Ambiguous.class, store.findByIp("10.0.0.5"));
    assertTrue(ambiguous.explanation().contains("a/first"), ambiguous.explanation());
    assertTrue(ambiguous.explanation().contains("b/second"), ambiguous.explanation());
  }

  @Test
  void terminatingPodKeepsItsIpUntilAPodThatIsNotTerminatingClaimsIt() {
    Pod old = pod("shop", "old").ip("10.0.0.6").phase("Running").role("old-role").build();
    put(old);
    put(
        pod("shop", "old")
            .uid(old.getMetadata().getUid())
            .ip("10.0.0.6")
            .phase("Running")
            .role("old-role")
            .deleting()
            .resourceVersion("2")
            .build());
    assertEquals("old", found("10.0.0.6").name());

    put(running("shop", "new", "10.0.0.6", "new-role"));

    assertEquals("new", found("10.0.0.6").name());
  }

  @Test
  void deletedPodStopsMatchingAtOnce() {
    Pod pod = running("shop", "web-1", "10.0.0.7", "shop-web");
    put(pod);

    store.remove(store.getKey(pod));

    assertInstanceOf(PodLookup.NotFound.class, store.findByIp("10.0.0.7"));
    assertEquals(0, store.size());
  }

  @Test
  void newPodReusingADeletedPodsIpGetsItsOwnRole() {
    Pod old = running("shop", "old", "10.0.0.8", "shop-admin");
    put(old);
    store.remove(store.getKey(old));

    put(running("shop", "new", "10.0.0.8", "shop-web"));

    assertEquals("shop-web", found("10.0.0.8").role());
  }

  @Test
  void phaseChangeToSucceededReleasesTheIp() {
    Pod pod = running("batch", "job", "10.0.0.9", "batch");
    put(pod);
    put(
        pod("batch", "job")
            .uid(pod.getMetadata().getUid())
            .ip("10.0.0.9")
            .phase("Succeeded")
            .resourceVersion("2")
            .build());

    assertInstanceOf(PodLookup.NotFound.class, store.findByIp("10.0.0.9"));
    assertEquals(1, store.size());
  }

  @Test
  void ipv6AddressesMatchWhateverTheirSpelling() {
    put(running("v6", "web", "fd00:0:0:0::10", "v6-role"));

    assertEquals("web", found(IpAddresses.canonical("fd00::10")).name());
  }

  @Test
  void informerGetsBackASkeletonWithTheResourceVersion() {
    Pod pod = pod("shop", "web").ip("10.0.1.1").phase("Running").resourceVersion("42").build();
    assertNull(store.put(store.getKey(pod), pod));

    Pod skeleton = store.get(pod.getMetadata().getUid());
    assertEquals("42", skeleton.getMetadata().getResourceVersion());
    assertEquals("web", skeleton.getMetadata().getName());
    assertNull(skeleton.getSpec(), "the store keeps no spec");
  }

  @Test
  void listenersSeeEachChangeOnceWithBeforeAndAfter() {
    List<String> seen = new ArrayList<>();
    store.addListener(
        (before, after) ->
            seen.add(
                (before == null ? "-" : before.role())
                    + ">"
                    + (after == null ? "-" : after.role())));
    Pod pod = running("shop", "web", "10.0.1.2", "a");
    put(pod);
    put(pod); // same resourceVersion: a relist, not a change
    put(
        pod("shop", "web")
            .uid(pod.getMetadata().getUid())
            .ip("10.0.1.2")
            .phase("Running")
            .role("b")
            .resourceVersion("2")
            .build());
    store.remove(pod.getMetadata().getUid());

    assertEquals(List.of("->a", "a>b", "b>-"), seen);
  }

  @Test
  void waitingRequestIsWokenByThePodsArrival() throws Exception {
    // The wait's own bound is far beyond the test's: only the pod's arrival can complete it.
    CompletableFuture<PodLookup> waiting = store.awaitByIp("10.0.2.1", Duration.ofHours(1));
    assertFalse(waiting.isDone());
    executor.submit(
        () -> {
          put(running("shop", "late", "10.0.2.1", "shop-web"));
          return null;
        });

    PodLookup lookup = waiting.get(5, TimeUnit.MINUTES);

    assertEquals("late", assertInstanceOf(PodLookup.Found.class, lookup).pod().name());
  }

  @Test
  void waitingRequestGivesUpAfterItsBound() throws Exception {
    long started = System.nanoTime();

    PodLookup lookup = store.awaitByIp("10.0.2.2", Duration.ofMillis(150)).get(5, TimeUnit.SECONDS);

    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    assertInstanceOf(PodLookup.NotFound.class, lookup);
    assertTrue(millis >= 140, "a wait never ends before its bound: waited " + millis + " ms");
  }

  @Test
  void knownPodIsAnsweredWithoutWaiting() {
    put(running("shop", "web", "10.0.2.3", null));

    CompletableFuture<PodLookup> answer = store.awaitByIp("10.0.2.3", Duration.ofSeconds(5));

    assertTrue(answer.isDone());
  }

  @Test
  void podsWithoutUidDoNotCollide() {
    put(pod("a", "one").uid(null).ip("10.0.3.1").phase("Running").build());
    put(pod("a", "two").uid(null).ip("10.0.3.2").phase("Running").build());

    assertEquals(2, store.size());
    assertEquals("one", found("10.0.3.1").name());
    assertEquals("two", found("10.0.3.2").name());
  }
}
