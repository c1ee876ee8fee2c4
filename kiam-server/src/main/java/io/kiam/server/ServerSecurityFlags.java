package io.kiam.server;

import io.kiam.server.policy.RoleAccounts;
import picocli.CommandLine.Option;

/** The server's flags that widen or narrow what a pod or an agent may reach. */
public final class ServerSecurityFlags {
  @Option(
      names = "--allowed-role-accounts",
      paramLabel = "IDS",
      defaultValue = "",
      description =
          "Other AWS accounts whose full role ARNs pods may name, as comma-separated 12-digit ids,"
              + " or '*' for any. Roles of the base ARN's account are always allowed; others are"
              + " refused by default (default: none).")
  String allowedRoleAccounts = "";

  @Option(
      names = "--require-node-identity",
      description =
          "Serve each agent only the pods of its own node: every call must carry the agent's"
              + " projected service-account token, whose node TokenReview names (Kubernetes 1.30+;"
              + " the server needs RBAC to create tokenreviews). Default: off, any agent with a"
              + " certificate the CA signed is served every pod.")
  boolean requireNodeIdentity;

  @Option(
      names = "--node-identity-audience",
      paramLabel = "AUDIENCE",
      defaultValue = "kiam-server",
      description =
          "The audience the agents' projected tokens are issued for (default: ${DEFAULT-VALUE}).")
  String nodeIdentityAudience = "kiam-server";

  /** Whether agents must prove their node. */
  public boolean requireNodeIdentity() {
    return requireNodeIdentity;
  }

  /** The token audience the server reviews agents' tokens for. */
  public String nodeIdentityAudience() {
    return nodeIdentityAudience;
  }

  /** The flag's text, for {@link io.kiam.server.sts.DefaultArnResolver}. */
  public String allowedRoleAccounts() {
    return allowedRoleAccounts == null ? "" : allowedRoleAccounts;
  }

  /** Fails (exit 2) on a malformed value before anything starts. */
  public void validate() {
    RoleAccounts.parse("000000000000", allowedRoleAccounts());
    if (nodeIdentityAudience == null || nodeIdentityAudience.isBlank()) {
      throw new IllegalArgumentException("--node-identity-audience: must not be empty");
    }
  }
}
