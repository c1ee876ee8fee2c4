package io.kiam.e2e.node;

import io.kiam.e2e.cluster.PodSpec;

/** A pod of the node: its Kubernetes identity, its network namespace and its IP. */
public record NodePod(PodSpec spec, String netns, String ip) {
  public String name() {
    return spec.name();
  }

  public String namespace() {
    return spec.namespace();
  }
}
