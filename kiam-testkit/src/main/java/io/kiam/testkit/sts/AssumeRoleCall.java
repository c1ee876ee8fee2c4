package io.kiam.testkit.sts;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One authenticated AssumeRole call as the endpoint received and answered it; fields the caller did
 * not send are null. {@code issuedAccessKeyId} is set when the outcome is ISSUED.
 */
public record AssumeRoleCall(
    Instant at,
    String callerAccessKeyId,
    String callerArn,
    String region,
    String roleArn,
    String roleSessionName,
    Integer durationSeconds,
    String externalId,
    String sourceIdentity,
    Map<String, String> tags,
    CallOutcome outcome,
    String errorCode,
    String issuedAccessKeyId) {

  public AssumeRoleCall {
    // Kept in the order the caller sent them.
    tags = Collections.unmodifiableMap(new LinkedHashMap<>(tags));
  }

  @Override
  public String toString() {
    return "AssumeRoleCall[at="
        + at
        + ", caller="
        + callerArn
        + " ("
        + callerAccessKeyId
        + "), region="
        + region
        + ", roleArn="
        + roleArn
        + ", roleSessionName="
        + roleSessionName
        + ", durationSeconds="
        + durationSeconds
        + ", externalId="
        + Redaction.mask(externalId)
        + ", sourceIdentity="
        + sourceIdentity
        + ", tags="
        + tags
        + ", outcome="
        + outcome
        + (errorCode == null ? "" : " (" + errorCode + ")")
        + ", issuedAccessKeyId="
        + issuedAccessKeyId
        + "]";
  }
}
