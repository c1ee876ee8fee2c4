package io.kiam.server.k8s;

import java.util.List;
import java.util.Objects;

/**
 * What the server keeps of a pod: only the fields its decisions need, so that tens of thousands of
 * pods fit in little memory. Absent annotations are null rather than Optional to save an object per
 * field; toString masks the external id.
 *
 * @param ips canonical IP addresses from status.podIPs (or status.podIP), possibly empty
 * @param deleting whether the pod has a deletionTimestamp (terminating, not yet gone)
 * @param role the iam.amazonaws.com/role annotation, trimmed (once, here), or null
 * @param sessionName the iam.amazonaws.com/session-name annotation, or null
 * @param externalId the iam.amazonaws.com/external-id annotation, or null
 * @param nodeName spec.nodeName, or null while the pod is not scheduled
 */
public record PodInfo(
    String uid,
    String namespace,
    String name,
    List<String> ips,
    PodPhase phase,
    boolean hostNetwork,
    boolean deleting,
    String role,
    String sessionName,
    String externalId,
    String serviceAccount,
    String resourceVersion,
    String nodeName) {

  public PodInfo {
    Objects.requireNonNull(uid, "uid");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
    ips = List.copyOf(ips);
    Objects.requireNonNull(phase, "phase");
    role = role == null ? null : role.trim();
  }

  /** A pod not (yet) scheduled on a node. */
  public PodInfo(
      String uid,
      String namespace,
      String name,
      List<String> ips,
      PodPhase phase,
      boolean hostNetwork,
      boolean deleting,
      String role,
      String sessionName,
      String externalId,
      String serviceAccount,
      String resourceVersion) {
    this(
        uid,
        namespace,
        name,
        ips,
        phase,
        hostNetwork,
        deleting,
        role,
        sessionName,
        externalId,
        serviceAccount,
        resourceVersion,
        null);
  }

  /** Whether it is scheduled on {@code node}. */
  public boolean onNode(String node) {
    return nodeName != null && nodeName.equals(node);
  }

  /** Whether the pod may still run code: not Succeeded or Failed. */
  public boolean live() {
    return !phase.finished();
  }

  /**
   * Whether requests from its IPs may be attributed to it: live and with its own network namespace
   * (a hostNetwork pod shares the node's IP with every other hostNetwork pod and the node itself).
   */
  public boolean ownsIps() {
    return live() && !hostNetwork && !ips.isEmpty();
  }

  /** Whether it carries the iam.amazonaws.com/role annotation with a non-blank value. */
  public boolean hasRole() {
    return role != null && !role.isBlank();
  }

  /** "namespace/name", the way kubectl users know the pod. */
  public String qualifiedName() {
    return namespace + "/" + name;
  }

  /** Whether a change from {@code before} to this pod changes what credentials it needs. */
  public boolean sameRoleRequest(PodInfo before) {
    return Objects.equals(role, before.role)
        && Objects.equals(sessionName, before.sessionName)
        && Objects.equals(externalId, before.externalId);
  }

  @Override
  public String toString() {
    return "PodInfo[namespace="
        + namespace
        + ", name="
        + name
        + ", uid="
        + uid
        + ", ips="
        + ips
        + ", phase="
        + phase.apiName()
        + ", hostNetwork="
        + hostNetwork
        + ", deleting="
        + deleting
        + ", role="
        + role
        + ", sessionName="
        + sessionName
        + ", externalId="
        + (externalId == null ? "none" : "****")
        + ", serviceAccount="
        + serviceAccount
        + ", nodeName="
        + nodeName
        + "]";
  }
}
