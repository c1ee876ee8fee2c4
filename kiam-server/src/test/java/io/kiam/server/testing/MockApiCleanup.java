package io.kiam.server.testing;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kiam.server.KiamServer;
import java.util.concurrent.TimeUnit;

/**
 * Empties fabric8's mock API server while a running server's watches are still open, and waits
 * until they delivered it: the mock server blocks its only event loop for up to a minute when a
 * watch closes with an event in flight (WatchEventsListener.onClosed awaits its sender), stalling
 * every later request of the test class.
 */
public final class MockApiCleanup {
  private MockApiCleanup() {}

  /** Deletes every pod and namespace, then waits (bounded) until {@code server} saw the pods go. */
  public static void deleteAllBeforeClosing(KubernetesClient client, KiamServer server) {
    client.pods().inAnyNamespace().delete();
    client.namespaces().delete();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    try {
      while (server != null
          && server.pods() != null
          && server.pods().size() > 0
          && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
