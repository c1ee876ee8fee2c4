package io.kiam.server.policy;

import io.kiam.server.k8s.KiamAnnotations;
import io.kiam.server.k8s.NamespaceInfo;
import io.kiam.server.k8s.PodInfo;
import java.util.Optional;

/**
 * Whether a pod may have the role it asks for: a pure function of the pod, its namespace, the
 * requested role and the ARN resolver, so the server and the explain command decide alike.
 *
 * <p>Rules, in order: the pod is annotated with a role; the requested role is that role (the same
 * text, its ARN's role name as the agent lists it, or a role resolving to the same ARN); the role
 * is in an account the server serves ({@link ArnResolver#accounts()}); the namespace's permitted
 * expression matches the whole annotated role, or its whole ARN, where a role with a path or an ARN
 * is matched only by an expression containing a slash ({@link NamespaceInfo#permitsRole}). A
 * namespace without the expression permits nothing. Whatever the pod asks for, only the annotated
 * role is ever granted.
 */
public final class RolePolicy {
  private RolePolicy() {}

  /** Decides; never throws for bad input (a malformed role is a decision too). */
  public static Decision decide(
      PodInfo pod, Optional<NamespaceInfo> namespace, String requestedRole, ArnResolver resolver) {
    String who = "pod '" + pod.qualifiedName() + "'";
    if (!pod.hasRole()) {
      return new Decision.NoRole(
          who
              + " has no "
              + KiamAnnotations.ROLE
              + " annotation; annotate it with the role it needs");
    }
    String annotated = pod.role();
    String annotatedArn;
    try {
      annotatedArn = resolver.resolve(annotated);
    } catch (IllegalArgumentException e) {
      return new Decision.NoRole(
          who
              + " has "
              + KiamAnnotations.ROLE
              + " '"
              + annotated
              + "', which is not a role: "
              + e.getMessage());
    }
    Optional<Decision> mismatch =
        requestMismatch(who, annotated, annotatedArn, requestedRole, resolver);
    if (mismatch.isPresent()) {
      return mismatch.get();
    }
    Optional<String> foreign = resolver.accounts().refusal(annotatedArn);
    if (foreign.isPresent()) {
      return new Decision.Forbidden(who + ": " + foreign.get());
    }
    return namespaceDecision(pod, namespace, annotated, annotatedArn);
  }

  /** The role's own name, the last segment of its ARN, as the metadata API lists it. */
  public static String roleName(String roleArn) {
    return roleArn.substring(roleArn.lastIndexOf('/') + 1);
  }

  private static Optional<Decision> requestMismatch(
      String who, String annotated, String annotatedArn, String requested, ArnResolver resolver) {
    if (requested == null || requested.isBlank()) {
      return Optional.of(new Decision.InvalidRequest("the requested role is empty"));
    }
    if (requested.equals(annotated)
        || requested.equals(annotatedArn)
        || requested.equals(roleName(annotatedArn))) {
      return Optional.empty();
    }
    String requestedArn;
    try {
      requestedArn = resolver.resolve(requested);
    } catch (IllegalArgumentException e) {
      return Optional.of(
          new Decision.InvalidRequest(
              "the requested role '" + requested + "' is not a role: " + e.getMessage()));
    }
    if (requestedArn.equals(annotatedArn)) {
      return Optional.empty();
    }
    return Optional.of(
        new Decision.Forbidden(
            who
                + " is annotated with role '"
                + annotated
                + "' ("
                + annotatedArn
                + "); it asked for '"
                + requested
                + "' ("
                + requestedArn
                + ")"));
  }

  private static Decision namespaceDecision(
      PodInfo pod, Optional<NamespaceInfo> found, String annotated, String annotatedArn) {
    String ns = pod.namespace();
    if (found.isEmpty()) {
      return new Decision.Forbidden(
          "namespace '"
              + ns
              + "' is not known to the server, so it permits no role; pod asks for '"
              + annotated
              + "'");
    }
    NamespaceInfo namespace = found.get();
    if (namespace.permitted() == null) {
      return new Decision.Forbidden(
          "namespace '"
              + ns
              + "' has no "
              + KiamAnnotations.PERMITTED
              + " annotation, so it permits no role; pod asks for '"
              + annotated
              + "'");
    }
    if (namespace.patternError() != null) {
      return new Decision.Forbidden(
          "namespace '"
              + ns
              + "' has an invalid "
              + KiamAnnotations.PERMITTED
              + " expression '"
              + namespace.permitted()
              + "' ("
              + namespace.patternError()
              + "), so it permits no role; pod asks for '"
              + annotated
              + "'");
    }
    if (namespace.permitsRole(annotated, annotatedArn)) {
      return new Decision.Allowed(
          annotated,
          annotatedArn,
          "namespace '"
              + ns
              + "' permits roles matching '"
              + namespace.permitted()
              + "'; pod '"
              + pod.qualifiedName()
              + "' has '"
              + annotated
              + "'");
    }
    return new Decision.Forbidden(
        "namespace '"
            + ns
            + "' permits roles matching '"
            + namespace.permitted()
            + "'; pod asks for '"
            + annotated
            + "'"
            + pathHint(namespace.permitted(), annotated));
  }

  /** Says why a path made the difference, when it did: the rule is easy to trip over. */
  private static String pathHint(String expression, String annotated) {
    String written = annotated.startsWith("/") ? annotated.substring(1) : annotated;
    if (expression.indexOf('/') >= 0 || written.indexOf('/') < 0) {
      return "";
    }
    return " (a role written with a path or as an ARN is permitted only by an expression that"
        + " contains a '/')";
  }
}
