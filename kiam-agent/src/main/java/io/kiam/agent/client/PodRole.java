package io.kiam.agent.client;

import java.util.Objects;

/**
 * The role a pod is annotated with.
 *
 * @param pod the pod that owns the IP asked about
 * @param role the annotation as written: a name, a path/name or a full ARN
 * @param roleArn the role's full ARN as the server resolves it (may be empty)
 */
public record PodRole(PodRef pod, String role, String roleArn) {
  public PodRole {
    Objects.requireNonNull(pod, "pod");
    role = role == null ? "" : role;
    roleArn = roleArn == null ? "" : roleArn;
  }

  /** The role name as EC2 lists it: the last segment of the ARN (or annotation); may be empty. */
  public String roleName() {
    String full = roleArn.isEmpty() ? role : roleArn;
    return full.substring(full.lastIndexOf('/') + 1);
  }
}
