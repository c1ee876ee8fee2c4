package io.kiam.server.k8s;

import static io.kiam.server.testing.TestPods.namespace;
import static io.kiam.server.testing.TestPods.pod;
import static io.kiam.server.testing.TestPods.running;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BiPredicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The informers against fabric8's mock API server in CRUD mode: real list, watch and HTTP. */
@EnableKubernetesMockClient(crud = true)
@Timeout(60)
class KubernetesCachesTest {
  // instance fields: each test gets an API server of its own, so that no state or stalled
  // clean-up of one test reaches the next
  KubernetesMockServer server;
  KubernetesClient client;

  private final ExecutorService executor = Executors.newFixedThreadPool(2);
  private PodStore pods;
  private NamespaceStore namespaces;
  private KubernetesCaches caches;

  @BeforeEach
  void start() throws Exception {
    client.namespaces().resource(namespace("shop", "shop-.*")).create();
    client
        .pods()
        .inNamespace("shop")
        .resource(running("shop", "existing", "10.1.0.1", "shop-web"))
        .create();
    pods = new PodStore(executor);
    namespaces = new NamespaceStore();
    caches = new KubernetesCaches(client, pods, namespaces);
    caches.start().get(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws InterruptedException {
    // Delete while the watches are open and wait until they delivered it: fabric8's mock server
    // blocks its only event loop for up to a minute when a watch closes with an event in flight
    // (WatchEventsListener.onClosed awaits its sender), which stalls every later request.
    client.pods().inAnyNamespace().delete();
    client.namespaces().delete();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while ((pods.size() > 0 || namespaces.keySet().findAny().isPresent())
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    caches.close();
    executor.shutdownNow();
  }

  /** Completes with the first change the watch delivers that matches. */
  private CompletableFuture<PodInfo> change(BiPredicate<PodInfo, PodInfo> matches) {
    CompletableFuture<PodInfo> seen = new CompletableFuture<>();
    pods.addListener(
        (before, after) -> {
          if (matches.test(before, after)) {
            seen.complete(after != null ? after : before);
          }
        });
    return seen;
  }

  private Pod create(Pod pod) {
    return client.pods().inNamespace(pod.getMetadata().getNamespace()).resource(pod).create();
  }

  @Test
  void syncsExistingPodsAndNamespaces() {
    assertTrue(caches.synced());
    assertEquals(
        "existing",
        assertInstanceOf(PodLookup.Found.class, pods.findByIp("10.1.0.1")).pod().name());
    assertEquals("shop-.*", namespaces.findNamespace("shop").orElseThrow().permitted());
  }

  @Test
  void createdPodIsFoundAndDeletedPodIsGone() throws Exception {
    CompletableFuture<PodInfo> added =
        change((b, a) -> b == null && a != null && a.name().equals("web"));
    Pod created = create(running("shop", "web", "10.1.0.2", "shop-web"));
    added.get(5, TimeUnit.SECONDS);
    assertEquals(
        "web", assertInstanceOf(PodLookup.Found.class, pods.findByIp("10.1.0.2")).pod().name());

    CompletableFuture<PodInfo> deleted = change((b, a) -> a == null && b.name().equals("web"));
    client.pods().resource(created).delete();
    deleted.get(5, TimeUnit.SECONDS);

    assertInstanceOf(PodLookup.NotFound.class, pods.findByIp("10.1.0.2"));
  }

  @Test
  void annotationChangeIsSeen() throws Exception {
    CompletableFuture<PodInfo> changed =
        change((b, a) -> a != null && "shop-admin".equals(a.role()));

    client
        .pods()
        .inNamespace("shop")
        .withName("existing")
        .edit(
            p -> {
              p.getMetadata().getAnnotations().put(KiamAnnotations.ROLE, "shop-admin");
              return p;
            });

    assertEquals("shop-admin", changed.get(5, TimeUnit.SECONDS).role());
    assertEquals(
        "shop-admin",
        assertInstanceOf(PodLookup.Found.class, pods.findByIp("10.1.0.1")).pod().role());
  }

  @Test
  void phaseChangeToSucceededReleasesTheIpForANewPod() throws Exception {
    CompletableFuture<PodInfo> finished =
        change(
            (b, a) -> a != null && a.name().equals("existing") && a.phase() == PodPhase.SUCCEEDED);
    client
        .pods()
        .inNamespace("shop")
        .withName("existing")
        .edit(
            p -> {
              p.getStatus().setPhase("Succeeded");
              return p;
            });
    finished.get(5, TimeUnit.SECONDS);
    assertInstanceOf(PodLookup.NotFound.class, pods.findByIp("10.1.0.1"));

    CompletableFuture<PodInfo> reused = change((b, a) -> a != null && a.name().equals("reuser"));
    create(running("shop", "reuser", "10.1.0.1", "shop-other"));
    reused.get(5, TimeUnit.SECONDS);

    PodInfo owner = assertInstanceOf(PodLookup.Found.class, pods.findByIp("10.1.0.1")).pod();
    assertEquals("reuser", owner.name());
    assertEquals("shop-other", owner.role());
  }

  @Test
  void hostNetworkPodIsCachedButNeverMatched() throws Exception {
    CompletableFuture<PodInfo> added = change((b, a) -> a != null && a.name().equals("node-agent"));

    create(
        pod("shop", "node-agent")
            .ip("192.168.0.5")
            .phase("Running")
            .hostNetwork()
            .role("shop-admin")
            .build());

    assertTrue(added.get(5, TimeUnit.SECONDS).hostNetwork());
    assertInstanceOf(PodLookup.NotFound.class, pods.findByIp("192.168.0.5"));
  }

  @Test
  void requestArrivingBeforeThePodWaitsForTheWatch() throws Exception {
    // a bound far beyond the test's own timeout: an answer at all means the watch woke the wait
    CompletableFuture<PodLookup> waiting = pods.awaitByIp("10.1.0.9", Duration.ofMinutes(10));
    assertFalse(waiting.isDone());

    create(running("shop", "just-started", "10.1.0.9", "shop-web"));

    PodLookup lookup = waiting.get(30, TimeUnit.SECONDS);
    assertEquals("just-started", assertInstanceOf(PodLookup.Found.class, lookup).pod().name());
  }

  @Test
  void namespacePermissionChangeIsSeen() throws Exception {
    client
        .namespaces()
        .withName("shop")
        .edit(
            n -> {
              n.getMetadata().getAnnotations().put(KiamAnnotations.PERMITTED, "shop-web");
              return n;
            });

    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (!"shop-web".equals(namespaces.findNamespace("shop").orElseThrow().permitted())) {
      assertTrue(System.nanoTime() < deadline, "the namespace change never arrived");
      TimeUnit.MILLISECONDS.sleep(10);
    }
    assertTrue(namespaces.findNamespace("shop").orElseThrow().permits("shop-web"));
    assertFalse(namespaces.findNamespace("shop").orElseThrow().permits("shop-web-admin"));
  }
}
