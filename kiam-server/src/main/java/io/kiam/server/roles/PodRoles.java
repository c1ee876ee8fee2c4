package io.kiam.server.roles;

import io.kiam.server.events.EventReason;
import io.kiam.server.events.PodEvents;
import io.kiam.server.k8s.NamespaceFinder;
import io.kiam.server.k8s.PodInfo;
import io.kiam.server.k8s.PodLookup;
import io.kiam.server.policy.ArnResolver;
import io.kiam.server.policy.Decision;
import io.kiam.server.policy.RolePolicy;
import io.kiam.server.sts.RoleRequest;
import io.kiam.server.sts.SessionTags;
import io.kiam.server.sts.StsFailure;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a pod's role is decided: resolves the pod's annotated role to an ARN, asks {@link
 * RolePolicy} with the pod's namespace, records the Events its owner should see and builds the STS
 * request (with {@code --session-tags}, the pod's own tags). gRPC, prefetch, usage tracking, the
 * node streams and explain all call this one class.
 */
public final class PodRoles {
  private final ArnResolver resolver;
  private final SessionNamer sessionNamer;
  private final String defaultSessionSuffix;
  private final NamespaceFinder namespaces;
  private final PodEvents events;
  private final boolean sessionTags;

  /**
   * @param defaultSuffix the server's --session value, for pods without a session-name annotation
   * @param namespaces where namespace permissions are looked up
   * @param events where refusals and STS failures are recorded for the pod's owner
   */
  public PodRoles(
      ArnResolver resolver,
      SessionNamer sessionNamer,
      String defaultSuffix,
      NamespaceFinder namespaces,
      PodEvents events) {
    this(resolver, sessionNamer, defaultSuffix, namespaces, events, false);
  }

  /**
   * With {@code sessionTags} ({@code --session-tags}), each pod's request carries {@link
   * PodSessionTags}.
   */
  public PodRoles(
      ArnResolver resolver,
      SessionNamer sessionNamer,
      String defaultSuffix,
      NamespaceFinder namespaces,
      PodEvents events,
      boolean sessionTags) {
    this.resolver = Objects.requireNonNull(resolver, "resolver");
    this.sessionNamer = Objects.requireNonNull(sessionNamer, "sessionNamer");
    this.defaultSessionSuffix = Objects.requireNonNull(defaultSuffix, "defaultSuffix");
    this.namespaces = Objects.requireNonNull(namespaces, "namespaces");
    this.events = Objects.requireNonNull(events, "events");
    this.sessionTags = sessionTags;
  }

  /** The decision for the pod asking for {@code requestedRole}; records nothing. */
  /**
   * Whether each pod's session carries its tags, the node among them: such a session is fetched
   * only once the pod is scheduled, or scheduling would change it and cost a second STS call.
   */
  public boolean tagsSessions() {
    return sessionTags;
  }

  public Decision decide(PodInfo pod, String requestedRole) {
    return RolePolicy.decide(
        pod, namespaces.findNamespace(pod.namespace()), requestedRole, resolver);
  }

  /** The decision for the pod asking for its own annotated role (what prefetch and streams do). */
  public Decision decideOwn(PodInfo pod) {
    return decide(pod, pod.hasRole() ? pod.role() : "");
  }

  /**
   * The ARN the pod's annotation names; IllegalArgumentException (with a message a person can act
   * on) when the pod has no role or one that is not a role.
   */
  public String arnOf(PodInfo pod) {
    if (!pod.hasRole()) {
      throw new IllegalArgumentException(
          "pod '" + pod.qualifiedName() + "' has no iam.amazonaws.com/role annotation");
    }
    try {
      return resolver.resolve(pod.role());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "pod '"
              + pod.qualifiedName()
              + "' has a role annotation that is not a role: "
              + e.getMessage(),
          e);
    }
  }

  /** The STS request for a pod whose role the policy allowed. */
  public RoleRequest request(PodInfo pod, Decision.Allowed allowed) {
    return request(pod, allowed.roleArn());
  }

  /** The STS request for a pod whose role resolved to {@code roleArn}. */
  public RoleRequest request(PodInfo pod, String roleArn) {
    String externalId =
        pod.externalId() == null || pod.externalId().isBlank() ? null : pod.externalId().trim();
    return new RoleRequest(
        roleArn,
        sessionName(pod),
        Optional.ofNullable(externalId),
        sessionTags ? PodSessionTags.forPod(pod) : SessionTags.NONE);
  }

  /**
   * The request a pod maps to whatever its namespace permits (what the credential cache keeps
   * alive), or empty when it has no role annotation or one that does not resolve.
   */
  public Optional<RoleRequest> request(PodInfo pod) {
    if (pod == null || !pod.hasRole()) {
      return Optional.empty();
    }
    try {
      return Optional.of(request(pod, resolver.resolve(pod.role())));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** The STS session name the pod's credentials carry (it does not depend on the role). */
  public String sessionName(PodInfo pod) {
    return sessionNamer.sessionName(pod.sessionName(), defaultSessionSuffix);
  }

  /** Records a refusal the pod's owner can act on (forbidden, or not annotated) as an Event. */
  public void recordRefusal(PodInfo pod, Decision decision) {
    if (decision instanceof Decision.Forbidden) {
      events.record(pod, EventReason.ROLE_FORBIDDEN, decision.explanation());
    } else if (decision instanceof Decision.NoRole) {
      events.record(pod, EventReason.ROLE_NOT_ANNOTATED, decision.explanation());
    }
  }

  /** Records, on each pod sharing the IP, that kiam cannot tell which of them asks. */
  public void recordConflict(PodLookup.Ambiguous ambiguous) {
    ambiguous
        .pods()
        .forEach(p -> events.record(p, EventReason.IP_CONFLICT, ambiguous.explanation()));
  }

  /** Records that credentials for the pod's role could not be had, with STS's words if any. */
  public void recordCredentialFailure(PodInfo pod, String role, Throwable cause) {
    String message =
        cause instanceof StsFailure sts
            ? "cannot get credentials for role '" + role + "': " + sts.getMessage()
            : "fetching credentials for role '" + role + "' failed";
    events.record(pod, EventReason.CREDENTIAL_ERROR, message);
  }
}
