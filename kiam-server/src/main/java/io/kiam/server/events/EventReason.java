package io.kiam.server.events;

/**
 * The reasons kiam-server writes on pods' Kubernetes Events, as `kubectl describe pod` shows them.
 */
public enum EventReason {
  /** The namespace does not permit the role, or the pod asked for another role than its own. */
  ROLE_FORBIDDEN("KiamRoleForbidden"),
  /** The pod has no usable iam.amazonaws.com/role annotation but asked for credentials. */
  ROLE_NOT_ANNOTATED("KiamRoleNotAnnotated"),
  /** STS refused or failed to issue the role's credentials. */
  CREDENTIAL_ERROR("KiamCredentialError"),
  /** More than one live pod claims the pod's IP. */
  IP_CONFLICT("KiamPodIpConflict");

  private final String reason;

  EventReason(String reason) {
    this.reason = reason;
  }

  /** The reason as written on the Event. */
  public String reason() {
    return reason;
  }
}
