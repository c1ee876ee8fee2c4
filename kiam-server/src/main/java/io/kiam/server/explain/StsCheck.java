package io.kiam.server.explain;

import io.kiam.server.sts.IssuedCredentials;
import io.kiam.server.sts.StsFailure;
import java.time.Instant;
import java.util.Optional;

/**
 * What the AssumeRole attempted by {@code explain --check-sts} gave: the access key id and expiry
 * on success (never the secret or the token, which are dropped here), or STS's error.
 */
public sealed interface StsCheck {
  /** STS issued credentials. */
  record Issued(String accessKeyId, Instant expiration, String accountId) implements StsCheck {}

  /** STS refused or could not be reached; {@code errorCode} is STS's own code when it answered. */
  record Failed(StsFailure.Kind kind, Optional<String> errorCode, String message)
      implements StsCheck {}

  /** Keeps only what may be shown: the secret key and session token go no further than here. */
  static StsCheck of(IssuedCredentials credentials) {
    return new Issued(credentials.accessKeyId(), credentials.expiration(), credentials.accountId());
  }

  static StsCheck of(StsFailure failure) {
    return new Failed(failure.kind(), failure.errorCode(), String.valueOf(failure.getMessage()));
  }
}
