package io.kiam.testkit.sts;

import java.time.Instant;

/** Temporary credentials the endpoint handed out for one AssumeRole call. */
public record IssuedCredentials(
    String accessKeyId,
    String secretAccessKey,
    String sessionToken,
    Instant expiration,
    String roleArn,
    String assumedRoleArn,
    String assumedRoleId,
    String sourceIdentity) {

  @Override
  public String toString() {
    return "IssuedCredentials[accessKeyId="
        + accessKeyId
        + ", secretAccessKey=****, sessionToken=****, expiration="
        + expiration
        + ", assumedRoleArn="
        + assumedRoleArn
        + "]";
  }
}
