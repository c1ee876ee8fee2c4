package io.kiam.server.k8s;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Stands between the gRPC service and the pod index while a watch is down: an IP the server
 * answered for a pod while its view was fresh keeps that answer (the same pod uid); any other IP (a
 * pod first seen asking, an IP whose owner changed, an IP no pod has) is refused as {@link
 * StaleViewException} instead of guessed, because an IP reused while the watch was down would map
 * to its old owner's role. docs/security.md states the trade-off.
 */
public final class StaleViewGuard implements PodFinder, PodListener {
  private final PodFinder pods;
  private final Supplier<Optional<String>> staleReason;
  private final Runnable refused;

  /** IP to the uid of the pod answered for it while the view was fresh. */
  private final Map<String, String> known = new ConcurrentHashMap<>();

  /**
   * @param staleReason why the view is too stale now, or empty while it is fresh enough
   * @param refused called once per refused lookup (a metric)
   */
  public StaleViewGuard(PodFinder pods, Supplier<Optional<String>> staleReason, Runnable refused) {
    this.pods = Objects.requireNonNull(pods, "pods");
    this.staleReason = Objects.requireNonNull(staleReason, "staleReason");
    this.refused = Objects.requireNonNull(refused, "refused");
  }

  @Override
  public PodLookup findByIp(String ip) {
    return judged(ip, pods.findByIp(ip));
  }

  @Override
  public CompletableFuture<PodLookup> awaitByIp(String ip, Duration wait) {
    return pods.awaitByIp(ip, wait).thenApply(lookup -> judged(ip, lookup));
  }

  private PodLookup judged(String ip, PodLookup lookup) {
    Optional<String> stale = staleReason.get();
    if (stale.isEmpty()) {
      if (lookup instanceof PodLookup.Found found) {
        String uid = found.pod().uid();
        if (!uid.equals(known.get(ip))) {
          known.put(ip, uid);
        }
      }
      return lookup;
    }
    if (lookup instanceof PodLookup.Found found && found.pod().uid().equals(known.get(ip))) {
      return lookup;
    }
    refused.run();
    throw new StaleViewException(
        "IP " + ip + " was not answered before the view went stale: " + stale.get());
  }

  /** A pod the watch saw go (or lose its IPs) no longer vouches for them. */
  @Override
  public void podChanged(PodInfo before, PodInfo after) {
    if (before == null) {
      return;
    }
    for (String ip : before.ips()) {
      if (after == null || !after.ownsIps() || !after.ips().contains(ip)) {
        known.remove(ip, before.uid());
      }
    }
  }

  /** IPs remembered as answered (tests, sizing). */
  public int knownIps() {
    return known.size();
  }
}
