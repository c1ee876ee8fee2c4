package io.kiam.server.sts;

import java.util.Objects;
import java.util.Optional;

/**
 * What the server asks STS for on behalf of pods, and the credential cache's key: pods that share
 * all three share one set of credentials.
 */
public record RoleRequest(String roleArn, String sessionName, Optional<String> externalId) {
  public RoleRequest {
    Objects.requireNonNull(roleArn, "roleArn");
    Objects.requireNonNull(sessionName, "sessionName");
    Objects.requireNonNull(externalId, "externalId");
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
        + "]";
  }
}
