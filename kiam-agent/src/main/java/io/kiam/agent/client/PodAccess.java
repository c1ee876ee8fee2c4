package io.kiam.agent.client;

import java.util.Objects;

/**
 * What the servers decided for the pod behind one IP: its role, and either its credentials (which
 * may not be there yet) or the refusal with its reason. The node view holds one per IP.
 *
 * @param role the annotation as written (may be empty)
 * @param roleName the role's name as EC2 lists it (may be empty)
 * @param refusal null when the role is permitted
 * @param credentials null when refused, or while the server has none yet
 */
record PodAccess(
    PodRef pod,
    String podUid,
    String role,
    String roleArn,
    String roleName,
    ServerFailure.Kind refusal,
    String reason,
    IssuedCredentials credentials) {

  PodAccess {
    Objects.requireNonNull(pod, "pod");
    podUid = podUid == null ? "" : podUid;
    role = role == null ? "" : role;
    roleArn = roleArn == null ? "" : roleArn;
    roleName = roleName == null || roleName.isEmpty() ? lastSegment(roleArn, role) : roleName;
    reason = reason == null ? "" : reason;
  }

  boolean permitted() {
    return refusal == null;
  }

  /** The answer to "which role has this pod", or the failure that stands for it. */
  PodRole asRole() {
    if (refusal == ServerFailure.Kind.NO_ROLE) {
      throw new ServerFailure(refusal, reason);
    }
    return new PodRole(pod, role, roleArn.isEmpty() ? role : roleArn);
  }

  private static String lastSegment(String arn, String role) {
    String full = arn == null || arn.isEmpty() ? (role == null ? "" : role) : arn;
    return full.substring(full.lastIndexOf('/') + 1);
  }
}
