package io.kiam.e2e.cluster;

import java.util.Objects;

/** A pod as the e2e node needs it: where it lives, the role it asks for (or null), its network. */
public record PodSpec(String namespace, String name, String role, boolean hostNetwork) {
  public PodSpec {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
  }

  public static PodSpec of(String namespace, String name, String role) {
    return new PodSpec(namespace, name, role, false);
  }
}
