package io.kiam.server.explain;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.kiam.server.k8s.NamespaceInfo;
import io.kiam.server.k8s.NamespaceStore;
import io.kiam.server.k8s.PodConverter;
import io.kiam.server.k8s.PodInfo;
import io.kiam.server.policy.Decision;
import io.kiam.server.policy.RolePolicy;
import io.kiam.server.roles.PodRoleRequests;
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
 * converters and {@link RolePolicy}, the STS request through {@link PodRoleRequests}, and the STS
 * check through the server's {@link StsGateway}.
 */
public final class Explainer {
  private static final String PLACEHOLDER_ARN = "arn:aws:iam::000000000000:role/none";

  private final PodRoleRequests requests;
  private final Optional<StsGateway> sts;
  private final Duration sessionDuration;
  private final boolean anchored;

  /**
   * @param sts the gateway to try the AssumeRole with, or empty to decide by policy only
   */
  public Explainer(PodRoleRequests requests, Optional<StsGateway> sts, Duration sessionDuration) {
    this(requests, sts, sessionDuration, true);
  }

  /**
   * @param anchored false to match namespace expressions anywhere in the role, as a server run with
   *     --disable-strict-namespace-regexp does
   */
  public Explainer(
      PodRoleRequests requests,
      Optional<StsGateway> sts,
      Duration sessionDuration,
      boolean anchored) {
    this.anchored = anchored;
    this.requests = Objects.requireNonNull(requests, "requests");
    this.sts = Objects.requireNonNull(sts, "sts");
    this.sessionDuration = Objects.requireNonNull(sessionDuration, "sessionDuration");
  }

  /** The explanation for a pod as read from the API; {@code namespace} is null when it is gone. */
  public Explanation explain(Pod pod, Namespace namespace) {
    PodInfo info = new PodConverter().toInfo(pod);
    Optional<NamespaceInfo> ns = Optional.empty();
    if (namespace != null) {
      NamespaceStore store = new NamespaceStore(anchored);
      store.put(store.getKey(namespace), namespace);
      ns = store.findNamespace(info.namespace());
    }
    // The AWS SDK asks for the role the agent listed, which is the annotated one.
    String requested = info.hasRole() ? info.role().trim() : "";
    Decision decision = RolePolicy.decide(info, ns, requested, requests.resolver());
    // The session name does not depend on the role, so it is shown for refused pods too.
    String sessionName = requests.forPod(info, PLACEHOLDER_ARN).sessionName();

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
      RoleRequest request = requests.forPod(info, allowed.roleArn());
      check = Optional.of(assume(sts.get(), request));
    }
    return new Explanation(info, ns, decision, sessionName, notServed, notes, check);
  }

  private StsCheck assume(StsGateway gateway, RoleRequest request) {
    try {
      return StsCheck.of(gateway.assumeRole(request, sessionDuration));
    } catch (StsFailure failure) {
      return StsCheck.of(failure);
    }
  }
}
