package io.kiam.server.k8s;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pod informer's item store and the server's pod index in one: the informer hands every pod it
 * lists or watches to {@link #put}, which keeps only a {@link PodInfo} (so the informer never holds
 * full pods) and updates the IP index before the informer moves on, so a deleted pod stops matching
 * at once.
 *
 * <p>IP rules: finished (Succeeded/Failed) and hostNetwork pods are never indexed; a Pending pod
 * with an IP is. A terminating pod (deletionTimestamp set) keeps its IP while it is the only
 * claimant, because its containers still run and its sandbox still holds the address (kiam did the
 * same); once a pod that is not terminating claims the same IP, the CNI must have released the
 * address, so the new pod wins. Two claimants of the same kind are ambiguous.
 */
public final class PodStore implements ItemStore<Pod>, PodFinder {
  private static final Logger log = LoggerFactory.getLogger(PodStore.class);

  private final PodConverter converter = new PodConverter();
  private final ConcurrentHashMap<String, PodInfo> byUid = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, List<PodInfo>> byIp = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Set<String>> uidsByNode = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, List<CompletableFuture<Void>>> waiters =
      new ConcurrentHashMap<>();
  private final List<PodListener> listeners = new CopyOnWriteArrayList<>();
  private final Executor continuations;

  /**
   * @param continuations where a request that waited for a pod resumes (never the informer's
   *     thread)
   */
  public PodStore(Executor continuations) {
    this.continuations = Objects.requireNonNull(continuations, "continuations");
  }

  /** Adds a listener told about every later change. */
  public void addListener(PodListener listener) {
    listeners.add(listener);
  }

  /** Every pod known now, in no particular order. */
  public Stream<PodInfo> pods() {
    return byUid.values().stream();
  }

  /** The pods scheduled on {@code node} now (any phase), in no particular order. */
  public List<PodInfo> podsOnNode(String node) {
    Set<String> uids = uidsByNode.get(node);
    if (uids == null) {
      return List.of();
    }
    List<PodInfo> out = new ArrayList<>(uids.size());
    for (String uid : uids) {
      PodInfo pod = byUid.get(uid);
      if (pod != null && pod.onNode(node)) {
        out.add(pod);
      }
    }
    return out;
  }

  /** Every pod that claims the IP now (see {@link #findByIp} for which one wins). */
  public List<PodInfo> claimants(String ip) {
    List<PodInfo> claimants = byIp.get(ip);
    return claimants == null ? List.of() : claimants;
  }

  /** How many distinct IPs map to at least one live pod. */
  public int indexedIps() {
    return byIp.size();
  }

  @Override
  public PodLookup findByIp(String ip) {
    List<PodInfo> claimants = byIp.get(ip);
    if (claimants == null || claimants.isEmpty()) {
      return new PodLookup.NotFound(ip);
    }
    if (claimants.size() == 1) {
      return new PodLookup.Found(claimants.get(0));
    }
    List<PodInfo> current = claimants.stream().filter(p -> !p.deleting()).toList();
    if (current.size() == 1) {
      return new PodLookup.Found(current.get(0));
    }
    return new PodLookup.Ambiguous(ip, current.isEmpty() ? claimants : current);
  }

  @Override
  public CompletableFuture<PodLookup> awaitByIp(String ip, Duration wait) {
    PodLookup now = findByIp(ip);
    if (!(now instanceof PodLookup.NotFound) || wait.isZero() || wait.isNegative()) {
      return CompletableFuture.completedFuture(now);
    }
    CompletableFuture<Void> signal = new CompletableFuture<>();
    waiters.compute(ip, (k, list) -> append(list, signal));
    // A put between the first look and the registration would not have woken us: look again.
    PodLookup again = findByIp(ip);
    if (!(again instanceof PodLookup.NotFound)) {
      forget(ip, signal);
      return CompletableFuture.completedFuture(again);
    }
    return signal
        .completeOnTimeout(null, wait.toMillis(), TimeUnit.MILLISECONDS)
        .thenApplyAsync(
            ignored -> {
              forget(ip, signal);
              return findByIp(ip);
            },
            continuations);
  }

  @Override
  public String getKey(Pod pod) {
    return PodConverter.identity(pod);
  }

  @Override
  public Pod put(String key, Pod pod) {
    PodInfo info = converter.toInfo(pod);
    PodInfo before;
    synchronized (this) {
      before = byUid.put(key, info);
      reindex(before, info);
      renode(key, before, info);
    }
    wake(info);
    if (before == null || !Objects.equals(before.resourceVersion(), info.resourceVersion())) {
      notifyListeners(before, info);
    }
    return before == null ? null : PodConverter.skeleton(before);
  }

  @Override
  public Pod remove(String key) {
    PodInfo before;
    synchronized (this) {
      before = byUid.remove(key);
      if (before == null) {
        return null;
      }
      reindex(before, null);
      renode(key, before, null);
    }
    notifyListeners(before, null);
    return PodConverter.skeleton(before);
  }

  @Override
  public Stream<String> keySet() {
    return byUid.keySet().stream();
  }

  @Override
  public Stream<Pod> values() {
    return byUid.values().stream().map(PodConverter::skeleton);
  }

  @Override
  public int size() {
    return byUid.size();
  }

  @Override
  public Pod get(String key) {
    PodInfo info = byUid.get(key);
    return info == null ? null : PodConverter.skeleton(info);
  }

  /** Moves the pod's IP claims from {@code before} to {@code after}, one atomic step per IP. */
  private void reindex(PodInfo before, PodInfo after) {
    List<String> oldIps = before != null && before.ownsIps() ? before.ips() : List.of();
    List<String> newIps = after != null && after.ownsIps() ? after.ips() : List.of();
    if (oldIps.isEmpty() && newIps.isEmpty()) {
      return;
    }
    String uid = after != null ? after.uid() : before.uid();
    Set<String> touched = new LinkedHashSet<>(oldIps);
    touched.addAll(newIps);
    for (String ip : touched) {
      boolean claim = newIps.contains(ip);
      byIp.compute(ip, (k, claimants) -> replace(claimants, uid, claim ? after : null));
    }
  }

  /** Moves the pod between nodes' sets (a pod's node is set once, when it is scheduled). */
  private void renode(String key, PodInfo before, PodInfo after) {
    String oldNode = before == null ? null : before.nodeName();
    String newNode = after == null ? null : after.nodeName();
    if (Objects.equals(oldNode, newNode)) {
      return;
    }
    if (oldNode != null) {
      uidsByNode.computeIfPresent(
          oldNode,
          (node, uids) -> {
            uids.remove(key);
            return uids.isEmpty() ? null : uids;
          });
    }
    if (newNode != null) {
      uidsByNode.computeIfAbsent(newNode, node -> ConcurrentHashMap.newKeySet()).add(key);
    }
  }

  private static List<PodInfo> replace(List<PodInfo> claimants, String uid, PodInfo replacement) {
    List<PodInfo> next = new ArrayList<>(claimants == null ? 1 : claimants.size() + 1);
    if (claimants != null) {
      for (PodInfo p : claimants) {
        if (!p.uid().equals(uid)) {
          next.add(p);
        }
      }
    }
    if (replacement != null) {
      next.add(replacement);
    }
    return next.isEmpty() ? null : List.copyOf(next);
  }

  private void wake(PodInfo info) {
    if (waiters.isEmpty() || !info.ownsIps()) {
      return;
    }
    for (String ip : info.ips()) {
      List<CompletableFuture<Void>> woken = waiters.remove(ip);
      if (woken != null) {
        woken.forEach(f -> f.complete(null));
      }
    }
  }

  private void forget(String ip, CompletableFuture<Void> signal) {
    waiters.computeIfPresent(
        ip,
        (k, list) -> {
          List<CompletableFuture<Void>> rest = new ArrayList<>(list);
          rest.remove(signal);
          return rest.isEmpty() ? null : List.copyOf(rest);
        });
  }

  private static List<CompletableFuture<Void>> append(
      List<CompletableFuture<Void>> list, CompletableFuture<Void> signal) {
    if (list == null) {
      return List.of(signal);
    }
    List<CompletableFuture<Void>> next = new ArrayList<>(list);
    next.add(signal);
    return List.copyOf(next);
  }

  private void notifyListeners(PodInfo before, PodInfo after) {
    for (PodListener listener : listeners) {
      try {
        listener.podChanged(before, after);
      } catch (RuntimeException e) {
        // A listener's bug must not stop the informer from keeping the index current.
        log.atWarn()
            .addKeyValue("pod.namespace", (after != null ? after : before).namespace())
            .addKeyValue("pod.name", (after != null ? after : before).name())
            .setCause(e)
            .log("pod listener failed");
      }
    }
  }
}
