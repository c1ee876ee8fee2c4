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

  /**
   * Deletes every pod and namespace, then waits (bounded) until {@code server} saw both go: a
   * namespace deletion still in flight when the watches close stalls the mock server as a pod's
   * does.
   */
  public static void deleteAllBeforeClosing(KubernetesClient client, KiamServer server) {
    client.pods().inAnyNamespace().delete();
    client.namespaces().delete();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    try {
      while (server != null && !emptied(server) && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static boolean emptied(KiamServer server) {
    // A server closed by the test itself holds no watch any more: nothing is left to deliver.
    return server.isClosing()
        || (server.pods() == null || server.pods().size() == 0)
            && (server.namespaces() == null || server.namespaces().size() == 0);
  }
}
