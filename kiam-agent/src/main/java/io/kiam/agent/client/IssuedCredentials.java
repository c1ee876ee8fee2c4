package io.kiam.agent.client;

import java.time.Instant;
import java.util.Objects;

/**
 * Temporary credentials the servers obtained from STS for a pod's role. The secret key and session
 * token never appear in {@link #toString()}.
 *
 * @param accountId the role's 12-digit account, or empty when the server did not say
 */
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
    accountId = accountId == null ? "" : accountId;
    roleArn = roleArn == null ? "" : roleArn;
  }

  /** Whether these credentials are still valid at {@code now}. */
  public boolean validAt(Instant now) {
    return now.isBefore(expiration);
  }

  @Override
  public String toString() {
    return "IssuedCredentials[" + accessKeyId + " for " + roleArn + " until " + expiration + "]";
  }
}
