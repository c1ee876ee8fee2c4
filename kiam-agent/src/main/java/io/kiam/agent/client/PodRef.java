package io.kiam.agent.client;

import java.util.Objects;

/** A pod by namespace and name, as the servers name it (for access logs and explanations). */
public record PodRef(String namespace, String name) {
  public PodRef {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
  }

  @Override
  public String toString() {
    return namespace + "/" + name;
  }
}
