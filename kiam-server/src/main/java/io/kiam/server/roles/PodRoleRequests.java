package io.kiam.server.roles;

import io.kiam.server.k8s.PodInfo;
import io.kiam.server.sts.ArnResolver;
import io.kiam.server.sts.RoleRequest;
import io.kiam.server.sts.SessionTags;
import java.util.Objects;
import java.util.Optional;

/**
 * What a pod's annotations ask STS for: its role's ARN, its session name and external id, and with
 * {@code --session-tags} the pod's own tags; pods asking for the same share one set of credentials.
 */
public final class PodRoleRequests {
  private final ArnResolver resolver;
  private final SessionNamer sessionNamer;
  private final String defaultSessionSuffix;
  private final boolean sessionTags;

  public PodRoleRequests(ArnResolver resolver, SessionNamer sessionNamer, String defaultSuffix) {
    this(resolver, sessionNamer, defaultSuffix, false);
  }

  /** With {@code sessionTags}, each pod's request carries {@link PodSessionTags}. */
  public PodRoleRequests(
      ArnResolver resolver, SessionNamer sessionNamer, String defaultSuffix, boolean sessionTags) {
    this.resolver = Objects.requireNonNull(resolver, "resolver");
    this.sessionNamer = Objects.requireNonNull(sessionNamer, "sessionNamer");
    this.defaultSessionSuffix = Objects.requireNonNull(defaultSuffix, "defaultSuffix");
    this.sessionTags = sessionTags;
  }

  /** The ARN resolver the requests are built with (the policy must use the same one). */
  public ArnResolver resolver() {
    return resolver;
  }

  /** The request for a pod whose role already resolved to {@code roleArn}. */
  public RoleRequest forPod(PodInfo pod, String roleArn) {
    String externalId =
        pod.externalId() == null || pod.externalId().isBlank() ? null : pod.externalId().trim();
    return new RoleRequest(
        roleArn,
        sessionNamer.sessionName(pod.sessionName(), defaultSessionSuffix),
        Optional.ofNullable(externalId),
        sessionTags ? PodSessionTags.forPod(pod) : SessionTags.NONE);
  }

  /**
   * The request for a pod, or empty when it has no role annotation or one that does not resolve.
   */
  public Optional<RoleRequest> forPod(PodInfo pod) {
    if (pod == null || !pod.hasRole()) {
      return Optional.empty();
    }
    try {
      return Optional.of(forPod(pod, resolver.resolve(pod.role().trim())));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
