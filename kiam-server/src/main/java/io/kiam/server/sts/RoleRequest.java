package io.kiam.server.sts;

import java.util.Objects;
import java.util.Optional;

/**
 * What the server asks STS for on behalf of pods, and the credential cache's key: pods that share
 * all four share one set of credentials (with session tags on, each pod has its own).
 */
public record RoleRequest(
    String roleArn, String sessionName, Optional<String> externalId, SessionTags sessionTags) {
  public RoleRequest {
    Objects.requireNonNull(roleArn, "roleArn");
    Objects.requireNonNull(sessionName, "sessionName");
    Objects.requireNonNull(externalId, "externalId");
    Objects.requireNonNull(sessionTags, "sessionTags");
  }

  /** A request without session tags. */
  public RoleRequest(String roleArn, String sessionName, Optional<String> externalId) {
    this(roleArn, sessionName, externalId, SessionTags.NONE);
  }

  /** The external id as logs may show it: its presence, never its value. */
  public String maskedExternalId() {
    return externalId.map(id -> "****").orElse("none");
  }

  @Override
  public String toString() {
    return "RoleRequest[roleArn="
        + roleArn
        + ", sessionName="
        + sessionName
        + ", externalId="
        + maskedExternalId()
        + (sessionTags.isEmpty() ? "" : ", sessionTags=" + sessionTags)
        + "]";
  }
}
