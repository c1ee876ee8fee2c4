package io.kiam.server.events;

import io.kiam.server.k8s.PodInfo;

/** Records why kiam refused or failed a pod, where its owner looks: Events on the pod. */
@FunctionalInterface
public interface PodEvents {
  /** Records at most one event per pod and reason in a while; never blocks the caller. */
  void record(PodInfo pod, EventReason reason, String message);

  /** Records nothing (for tests and when events are turned off). */
  static PodEvents none() {
    return (pod, reason, message) -> {};
  }
}
