package io.kiam.server.explain;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.kiam.server.events.PodEvents;
import io.kiam.server.k8s.NamespaceStore;
import io.kiam.server.k8s.PodConverter;
import io.kiam.server.k8s.PodInfo;
import io.kiam.server.policy.ArnResolver;
import io.kiam.server.policy.Decision;
import io.kiam.server.roles.PodRoles;
import io.kiam.server.roles.SessionNamer;
import io.kiam.server.sts.RoleRequest;
import io.kiam.server.sts.StsFailure;
import io.kiam.server.sts.StsGateway;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Decides for one pod exactly as the server does: the pod and namespace go through the server's own
 * converters, the decision and the STS request through {@link PodRoles}, and the STS check through
 * the server's {@link StsGateway}.
 */
public final class Explainer {
  private final ArnResolver resolver;
  private final SessionNamer sessionNamer;
  private final String sessionSuffix;
  private final Optional<StsGateway> sts;
  private final Duration sessionDuration;
  private final boolean anchored;

  /**
   * @param sessionSuffix the server's --session value
   * @param sts the gateway to try the AssumeRole with, or empty to decide by policy only
   * @param anchored false to match namespace expressions anywhere in the role, as a server run with
   *     --disable-strict-namespace-regexp does
   */
  public Explainer(
      ArnResolver resolver,
      SessionNamer sessionNamer,
      String sessionSuffix,
      Optional<StsGateway> sts,
      Duration sessionDuration,
      boolean anchored) {
    this.anchored = anchored;
    this.resolver = Objects.requireNonNull(resolver, "resolver");
    this.sessionNamer = Objects.requireNonNull(sessionNamer, "sessionNamer");
    this.sessionSuffix = Objects.requireNonNull(sessionSuffix, "sessionSuffix");
    this.sts = Objects.requireNonNull(sts, "sts");
    this.sessionDuration = Objects.requireNonNull(sessionDuration, "sessionDuration");
  }

  /** The explanation for a pod as read from the API; {@code namespace} is null when it is gone. */
  public Explanation explain(Pod pod, Namespace namespace) {
    PodInfo info = new PodConverter().toInfo(pod);
    NamespaceStore store = new NamespaceStore(anchored);
    if (namespace != null) {
      store.put(store.getKey(namespace), namespace);
    }
    PodRoles roles = new PodRoles(resolver, sessionNamer, sessionSuffix, store, PodEvents.none());
    // The AWS SDK asks for the role the agent listed, which is the annotated one.
    Decision decision = roles.decideOwn(info);
    // The session name does not depend on the role, so it is shown for refused pods too.
    String sessionName = roles.sessionName(info);

    List<String> notServed = new ArrayList<>();
    if (info.hostNetwork()) {
      notServed.add(
          "the pod uses hostNetwork: its requests come from the node's IP, which kiam never"
              + " attributes to a pod (give it IRSA instead)");
    }
    if (info.phase().finished()) {
      notServed.add(
          "the pod is " + info.phase().apiName() + ": finished pods never own their IP again");
    }
    List<String> notes = new ArrayList<>();
    if (info.ips().isEmpty() && !info.hostNetwork() && !info.phase().finished()) {
      notes.add("the pod has no IP yet; the server serves it once status.podIPs is set");
    }
    if (info.deleting()) {
      notes.add("the pod is being deleted");
    }

    Optional<StsCheck> check = Optional.empty();
    if (decision instanceof Decision.Allowed allowed && sts.isPresent()) {
      RoleRequest request = roles.request(info, allowed);
      check = Optional.of(assume(sts.get(), request));
    }
    return new Explanation(
        info,
        store.findNamespace(info.namespace()),
        decision,
        sessionName,
        notServed,
        notes,
        check);
  }

  private StsCheck assume(StsGateway gateway, RoleRequest request) {
    try {
      return StsCheck.of(gateway.assumeRole(request, sessionDuration));
    } catch (StsFailure failure) {
      return StsCheck.of(failure);
    }
  }
}
