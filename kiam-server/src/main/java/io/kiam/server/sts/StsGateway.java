package io.kiam.server.sts;

import java.time.Duration;

/** One AssumeRole call to STS, no caching and no retries: the credential cache decides timing. */
@FunctionalInterface
public interface StsGateway {
  /**
   * Assumes the role for the requested session; blocks for at most the gateway's call timeout and
   * throws {@link StsFailure} (with STS's error code) when STS refuses or cannot be reached.
   */
  IssuedCredentials assumeRole(RoleRequest request, Duration sessionDuration);
}
