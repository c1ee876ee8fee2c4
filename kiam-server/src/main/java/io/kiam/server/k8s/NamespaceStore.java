package io.kiam.server.k8s;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The namespace informer's item store and the server's namespace cache in one: keeps each
 * namespace's name and compiled permission only.
 */
public final class NamespaceStore implements ItemStore<Namespace>, NamespaceFinder {
  private final ConcurrentHashMap<String, NamespaceInfo> byName = new ConcurrentHashMap<>();
  private final List<Consumer<NamespaceInfo>> listeners = new CopyOnWriteArrayList<>();
  private final boolean anchored;

  /** A store whose expressions must match the whole role (the default, as kiam v4's). */
  public NamespaceStore() {
    this(true);
  }

  /**
   * @param anchored false matches expressions anywhere in the role, as kiam's {@code
   *     --disable-strict-namespace-regexp} did
   */
  public NamespaceStore(boolean anchored) {
    this.anchored = anchored;
  }

  /**
   * Tells {@code listener} (on the informer's thread; it must not block) about every namespace that
   * appears or whose permitted expression changes.
   */
  public void onPermissionChange(Consumer<NamespaceInfo> listener) {
    listeners.add(listener);
  }

  @Override
  public Optional<NamespaceInfo> findNamespace(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  @Override
  public String getKey(Namespace namespace) {
    return Cache.metaNamespaceKeyFunc(namespace);
  }

  @Override
  public Namespace put(String key, Namespace namespace) {
    ObjectMeta meta = namespace.getMetadata();
    NamespaceInfo before = byName.get(key);
    String permitted =
        meta.getAnnotations() == null ? null : meta.getAnnotations().get(KiamAnnotations.PERMITTED);
    NamespaceInfo info;
    if (before != null && java.util.Objects.equals(before.permitted(), permitted)) {
      // Compile once per change of the expression, not once per unrelated namespace update.
      info =
          new NamespaceInfo(
              meta.getName(),
              permitted,
              before.pattern(),
              before.patternError(),
              meta.getResourceVersion());
    } else {
      NamespaceInfo compiled =
          NamespaceInfo.of(meta.getName(), permitted, meta.getResourceVersion());
      info = anchored ? compiled : compiled.unanchored();
    }
    NamespaceInfo previous = byName.put(key, info);
    if (previous == null || !java.util.Objects.equals(previous.permitted(), permitted)) {
      listeners.forEach(l -> l.accept(info));
    }
    return skeleton(previous);
  }

  @Override
  public Namespace remove(String key) {
    return skeleton(byName.remove(key));
  }

  @Override
  public Stream<String> keySet() {
    return byName.keySet().stream();
  }

  @Override
  public Stream<Namespace> values() {
    return byName.values().stream().map(NamespaceStore::skeleton);
  }

  @Override
  public int size() {
    return byName.size();
  }

  @Override
  public Namespace get(String key) {
    return skeleton(byName.get(key));
  }

  private static Namespace skeleton(NamespaceInfo info) {
    if (info == null) {
      return null;
    }
    ObjectMeta meta = new ObjectMeta();
    meta.setName(info.name());
    meta.setResourceVersion(info.resourceVersion());
    meta.setAnnotations(
        info.permitted() == null ? null : Map.of(KiamAnnotations.PERMITTED, info.permitted()));
    Namespace namespace = new Namespace();
    namespace.setMetadata(meta);
    return namespace;
  }
}
