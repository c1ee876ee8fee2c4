package io.kiam.server.k8s;

import java.util.Optional;

/** Looks up a namespace's role permission by name. */
@FunctionalInterface
public interface NamespaceFinder {
  Optional<NamespaceInfo> findNamespace(String name);
}
