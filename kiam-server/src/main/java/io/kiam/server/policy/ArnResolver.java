package io.kiam.server.policy;

/** Turns a role as a pod's annotation names it (name, path/name, or full ARN) into its full ARN. */
@FunctionalInterface
public interface ArnResolver {
  /**
   * The full role ARN; throws IllegalArgumentException with a message a person can act on when the
   * role is malformed.
   */
  String resolve(String role);

  /**
   * The accounts whose roles pods may have; any, unless the resolver knows the server's own account
   * (see {@code io.kiam.server.sts.DefaultArnResolver}).
   */
  default RoleAccounts accounts() {
    return RoleAccounts.ANY;
  }
}
