package io.kiam.server.roles;

import io.kiam.server.k8s.PodInfo;
import io.kiam.server.k8s.PodListener;
import io.kiam.server.policy.Decision;
import io.kiam.server.sts.CredentialsSource;
import io.kiam.server.sts.RoleRequest;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts fetching credentials when a live pod appears with a role its namespace permits, or changes
 * its role, session name or external id, so that its first request is a cache hit. Forbidden roles
 * are never fetched ahead.
 */
public final class Prefetcher implements PodListener {
  private static final Logger log = LoggerFactory.getLogger(Prefetcher.class);

  private final PodRoles roles;
  private final CredentialsSource credentials;

  public Prefetcher(PodRoles roles, CredentialsSource credentials) {
    this.roles = Objects.requireNonNull(roles, "roles");
    this.credentials = Objects.requireNonNull(credentials, "credentials");
  }

  @Override
  public void podChanged(PodInfo before, PodInfo after) {
    if (after == null || !after.live() || !after.hasRole()) {
      return;
    }
    if (awaitsScheduling(after)) {
      return;
    }
    boolean appeared = before == null || !before.live();
    boolean scheduled = roles.tagsSessions() && before != null && awaitsScheduling(before);
    if (!appeared && !scheduled && after.sameRoleRequest(before)) {
      return;
    }
    prefetchIfPermitted(after);
  }

  /** A tagged session names the pod's node, so it is fetched once the pod has one. */
  private boolean awaitsScheduling(PodInfo pod) {
    return roles.tagsSessions() && (pod.nodeName() == null || pod.nodeName().isBlank());
  }

  /**
   * Prefetches for every live annotated pod given: once the caches have synced (pods listed before
   * their namespace arrived were not yet known to be permitted) and when a namespace's permission
   * changes.
   */
  public void prefetchAll(Stream<PodInfo> pods) {
    pods.filter(p -> p.live() && p.hasRole() && !awaitsScheduling(p))
        .forEach(this::prefetchIfPermitted);
  }

  private void prefetchIfPermitted(PodInfo after) {
    if (!(roles.decideOwn(after) instanceof Decision.Allowed allowed)) {
      return;
    }
    RoleRequest request = roles.request(after, allowed);
    log.atDebug()
        .addKeyValue("pod.namespace", after.namespace())
        .addKeyValue("pod.name", after.name())
        .addKeyValue("pod.iam.role", after.role())
        .log("prefetching credentials");
    credentials.prefetch(request).whenComplete((issued, failure) -> reportFailure(after, failure));
  }

  private void reportFailure(PodInfo pod, Throwable failure) {
    if (failure == null) {
      return;
    }
    Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
    roles.recordCredentialFailure(pod, pod.role(), cause);
  }
}
