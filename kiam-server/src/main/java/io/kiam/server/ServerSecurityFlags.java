package io.kiam.server;

import io.kiam.server.sts.RoleAccounts;
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

  /** The flag's text, for {@link io.kiam.server.sts.DefaultArnResolver}. */
  public String allowedRoleAccounts() {
    return allowedRoleAccounts == null ? "" : allowedRoleAccounts;
  }

  /** Fails (exit 2) on a malformed value before anything starts. */
  public void validate() {
    RoleAccounts.parse("000000000000", allowedRoleAccounts());
  }
}
