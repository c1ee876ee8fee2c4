package io.kiam.server.sts;

import java.time.Instant;
import java.util.Objects;

/** Temporary credentials STS issued for a role; toString never shows the secret or the token. */
public record IssuedCredentials(
    String accessKeyId,
    String secretAccessKey,
    String sessionToken,
    Instant expiration,
    Instant lastUpdated,
    String accountId,
    String roleArn) {

  public IssuedCredentials {
    Objects.requireNonNull(accessKeyId, "accessKeyId");
    Objects.requireNonNull(secretAccessKey, "secretAccessKey");
    Objects.requireNonNull(sessionToken, "sessionToken");
    Objects.requireNonNull(expiration, "expiration");
    Objects.requireNonNull(lastUpdated, "lastUpdated");
    Objects.requireNonNull(accountId, "accountId");
    Objects.requireNonNull(roleArn, "roleArn");
  }

  @Override
  public String toString() {
    return "IssuedCredentials[accessKeyId="
        + accessKeyId
        + ", expiration="
        + expiration
        + ", roleArn="
        + roleArn
        + "]";
  }
}
