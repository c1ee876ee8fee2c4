package io.kiam.testkit.sts;

import java.time.Duration;
import java.util.Set;

/** A role that exists in the endpoint's table, with its ARN resolved. */
record Role(
    String arn,
    String partition,
    String name,
    String externalId,
    Duration maxSessionDuration,
    Set<String> allowedPrincipals,
    Set<String> trustedSessionActions) {

  static Role from(RoleSpec spec, String account) {
    String arn = RoleArns.resolve(account, spec.nameOrArn());
    RoleArns.RoleArn parsed =
        RoleArns.parse(arn)
            .orElseThrow(() -> new IllegalArgumentException("not a role ARN: " + arn));
    return new Role(
        arn,
        parsed.partition(),
        parsed.name(),
        spec.externalId(),
        spec.maxSessionDuration(),
        spec.allowedPrincipals(),
        spec.trustedSessionActions());
  }

  boolean admits(Caller caller) {
    return allowedPrincipals.isEmpty()
        || allowedPrincipals.contains(caller.arn())
        || (caller.roleArn() != null && allowedPrincipals.contains(caller.roleArn()));
  }

  boolean trusts(String sessionAction) {
    return trustedSessionActions.contains(sessionAction);
  }

  @Override
  public String toString() {
    return "Role[" + arn + ", externalId=" + Redaction.mask(externalId) + "]";
  }
}
