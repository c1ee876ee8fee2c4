package io.kiam.server.k8s;

import static io.kiam.server.testing.TestPods.namespace;
import static io.kiam.server.testing.TestPods.running;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import io.kiam.testkit.time.MutableClock;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A dropped watch answered with 410 Gone (the resourceVersion is too old, as after an etcd
 * compaction): the pod informer relists, the pods created meanwhile arrive, and the staleness
 * {@code kiam_server_watch_staleness_seconds} reports grows while the relist is held off and is
 * zero again once it lands. fabric8's mock API server in CRUD mode serves everything over real HTTP
 * and WebSocket, except what the gate below answers itself: the first pod watch (an ERROR event
 * with a 410 Status, as kube-apiserver sends it) and, until released, the relists (503).
 */
@Timeout(60)
class WatchGoneRelistTest {
  private static final String GONE =
      "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
          + "\"status\":\"Failure\",\"message\":\"too old resource version: 1 (42)\","
          + "\"reason\":\"Expired\",\"code\":410}}";

  private final Gate gate = new Gate(new KubernetesCrudDispatcher());
  private final KubernetesMockServer server =
      new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), gate, false);
  private final ExecutorService executor = Executors.newFixedThreadPool(2);
  private final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T00:00:00Z"));
  private KubernetesClient client;
  private KubernetesCaches caches;
  private PodStore pods;

  /** Serves the CRUD mock, but answers the first pod watch with 410 Gone and holds relists. */
  static final class Gate extends Dispatcher {
    private final Dispatcher crud;
    final CountDownLatch goneSent = new CountDownLatch(1);
    final CountDownLatch relistRefused = new CountDownLatch(1);
    final AtomicBoolean relistAllowed = new AtomicBoolean();
    private final AtomicInteger podWatches = new AtomicInteger();
    private final AtomicInteger podLists = new AtomicInteger();

    Gate(Dispatcher crud) {
      this.crud = crud;
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
      String path = request.getPath();
      boolean pods = "GET".equals(request.getMethod()) && path.startsWith("/api/v1/pods");
      if (pods && path.contains("watch=true") && podWatches.getAndIncrement() == 0) {
        return new MockResponse()
            .withWebSocketUpgrade(
                new WebSocketListener() {
                  @Override
                  public void onOpen(WebSocket socket, Response response) {
                    socket.send(GONE);
                    socket.close(1000, "");
                    goneSent.countDown();
                  }
                });
      }
      if (pods && !path.contains("watch=true") && podLists.getAndIncrement() > 0) {
        if (!relistAllowed.get()) {
          relistRefused.countDown();
          return new MockResponse().setResponseCode(503).setBody("held by the test");
        }
      }
      return crud.dispatch(request);
    }

    @Override
    public void shutdown() {
      crud.shutdown();
    }
  }

  @AfterEach
  void stop() {
    if (caches != null) {
      caches.close();
    }
    if (client != null) {
      client.close();
    }
    server.destroy();
    executor.shutdownNow();
  }

  @Test
  void aWatchAnsweredGoneRelistsAndStalenessResetsOnceTheRelistLands() throws Exception {
    server.init(InetAddress.getLoopbackAddress(), 0);
    client = server.createClient();
    client.namespaces().resource(namespace("gone", "gone-.*")).create();
    client.pods().inNamespace("gone").resource(running("gone", "before", "10.9.0.1", "r")).create();
    pods = new PodStore(executor);
    caches = new KubernetesCaches(client, pods, new NamespaceStore(), clock);
    caches.start().get(20, TimeUnit.SECONDS);

    assertTrue(gate.goneSent.await(20, TimeUnit.SECONDS), "the first pod watch was answered 410");
    assertTrue(gate.relistRefused.await(20, TimeUnit.SECONDS), "410 made the informer relist");
    // A pod the broken watch never delivered: only the relist can bring it.
    client.pods().inNamespace("gone").resource(running("gone", "during", "10.9.0.2", "r")).create();

    caches.sample();
    clock.advance(Duration.ofSeconds(90));
    caches.sample();
    assertEquals(Duration.ofSeconds(90), caches.staleness().get("pods"));
    assertEquals(Duration.ZERO, caches.staleness().get("namespaces"));
    Optional<String> reason = caches.staleReason(Duration.ofMinutes(1));
    assertTrue(reason.isPresent() && reason.get().contains("pods"), String.valueOf(reason));

    gate.relistAllowed.set(true);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
    while (!(pods.size() == 2 && watchingAgain()) && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }

    assertEquals(2, pods.size(), "the relist brought the pod created while the watch was gone");
    assertEquals(Duration.ZERO, caches.staleness().get("pods"));
    assertEquals(Optional.empty(), caches.staleReason(Duration.ofMinutes(1)));
    // Nothing is deleted before the watches close: an event still in flight when a watch closes
    // blocks the mock server's event loop, and destroy() then times out (seen under load).
  }

  private boolean watchingAgain() {
    caches.sample();
    return caches.staleness().get("pods").isZero();
  }
}
