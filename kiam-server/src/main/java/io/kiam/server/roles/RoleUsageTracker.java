package io.kiam.server.roles;

import io.kiam.server.k8s.PodInfo;
import io.kiam.server.k8s.PodListener;
import io.kiam.server.sts.RoleRequest;
import io.kiam.server.sts.RoleUsage;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Follows the pod cache to know which role requests live (not Succeeded or Failed) pods still map
 * to; the credential cache asks before each refresh and drops entries no pod uses.
 */
public final class RoleUsageTracker implements RoleUsage, PodListener {
  private final PodRoles roles;
  private final Map<RoleRequest, Integer> livePods = new ConcurrentHashMap<>();

  public RoleUsageTracker(PodRoles roles) {
    this.roles = Objects.requireNonNull(roles, "roles");
  }

  @Override
  public boolean inUse(RoleRequest request) {
    return livePods.getOrDefault(request, 0) > 0;
  }

  /** How many distinct role requests live pods map to now. */
  public int distinctRequests() {
    return livePods.size();
  }

  @Override
  public void podChanged(PodInfo before, PodInfo after) {
    Optional<RoleRequest> was = usage(before);
    Optional<RoleRequest> now = usage(after);
    if (was.equals(now)) {
      return;
    }
    was.ifPresent(r -> livePods.computeIfPresent(r, (k, n) -> n <= 1 ? null : n - 1));
    now.ifPresent(r -> livePods.merge(r, 1, Integer::sum));
  }

  private Optional<RoleRequest> usage(PodInfo pod) {
    if (pod == null || !pod.live()) {
      return Optional.empty();
    }
    return roles.request(pod);
  }
}
