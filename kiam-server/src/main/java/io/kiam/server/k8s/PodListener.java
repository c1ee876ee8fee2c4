package io.kiam.server.k8s;

/**
 * Told about every change to the pod cache, on the informer's thread and in order: must return
 * quickly and never block (prefetching only starts work).
 */
@FunctionalInterface
public interface PodListener {
  /** {@code before} is null for a new pod, {@code after} null for a deleted one. */
  void podChanged(PodInfo before, PodInfo after);
}
