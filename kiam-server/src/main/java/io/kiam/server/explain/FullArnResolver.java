package io.kiam.server.explain;

import io.kiam.server.policy.ArnResolver;
import io.kiam.server.policy.RoleArns;

/**
 * Resolves only full role ARNs: what explain can do when it is given no base ARN, failing a bare
 * role name with the flag that would resolve it.
 */
final class FullArnResolver implements ArnResolver {
  @Override
  public String resolve(String role) {
    if (role != null && role.startsWith("arn:")) {
      return RoleArns.requireValid(role);
    }
    throw new IllegalArgumentException(
        "a role name resolves only against a base ARN: give explain the server's --role-base-arn"
            + " (or --role-base-arn-autodetect)");
  }
}
