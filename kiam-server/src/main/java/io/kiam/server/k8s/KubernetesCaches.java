package io.kiam.server.k8s;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The two shared informers (all pods, all namespaces) feeding {@link PodStore} and {@link
 * NamespaceStore}; synced once both initial lists have landed.
 */
public final class KubernetesCaches implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KubernetesCaches.class);

  /** Pages of the initial list: 50,000 pods never arrive as one response. */
  private static final long LIST_PAGE = 500;

  private final KubernetesClient client;
  private final PodStore pods;
  private final NamespaceStore namespaces;
  private SharedIndexInformer<Pod> podInformer;
  private SharedIndexInformer<Namespace> namespaceInformer;
  private CompletableFuture<Void> synced;

  public KubernetesCaches(KubernetesClient client, PodStore pods, NamespaceStore namespaces) {
    this.client = client;
    this.pods = pods;
    this.namespaces = namespaces;
  }

  /**
   * Starts both informers (idempotent); the future completes once both have synced. Watch errors
   * are retried by fabric8 with backoff for as long as the server runs.
   */
  public synchronized CompletableFuture<Void> start() {
    if (synced != null) {
      return synced;
    }
    try {
      // Resync period 0: the stores are the truth; a periodic resync would only replay them.
      podInformer =
          client.pods().inAnyNamespace().withLimit(LIST_PAGE).runnableInformer(0).itemStore(pods);
      podInformer.removeNamespaceIndex();
      podInformer.exceptionHandler(KubernetesCaches::retry);
      namespaceInformer = client.namespaces().runnableInformer(0).itemStore(namespaces);
      namespaceInformer.removeNamespaceIndex();
      namespaceInformer.exceptionHandler(KubernetesCaches::retry);
      CompletableFuture<Void> podsSynced = podInformer.start().toCompletableFuture();
      CompletableFuture<Void> namespacesSynced = namespaceInformer.start().toCompletableFuture();
      synced =
          CompletableFuture.allOf(podsSynced, namespacesSynced)
              .whenComplete(
                  (ok, failure) -> {
                    if (failure == null) {
                      log.atInfo()
                          .addKeyValue("pods", pods.size())
                          .addKeyValue("namespaces", namespaces.size())
                          .log("pod and namespace caches synced");
                    }
                  });
      return synced;
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** Whether both informers have completed their initial list. */
  public boolean synced() {
    CompletableFuture<Void> s;
    synchronized (this) {
      s = synced;
    }
    return s != null && s.isDone() && !s.isCompletedExceptionally();
  }

  @Override
  public synchronized void close() {
    if (podInformer != null) {
      podInformer.close();
      podInformer = null;
    }
    if (namespaceInformer != null) {
      namespaceInformer.close();
      namespaceInformer = null;
    }
  }

  private static boolean retry(boolean started, Throwable failure) {
    log.atWarn()
        .addKeyValue("informer.started", started)
        .log("watching the API server failed, will retry: {}", failure.toString());
    return true;
  }
}
