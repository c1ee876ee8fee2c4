package io.kiam.server.policy;

import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Which AWS accounts the server assumes pods' roles in: its base ARN's account, and the others an
 * operator named. A pod's owner writes the annotation, so without this a full ARN of any account
 * whose role trusts the server (a partner's, an old test account's) would be reachable from any
 * namespace whose expression happens to match it.
 *
 * @param baseAccount the base ARN's account, or empty when the resolver has none
 * @param allowed other accounts whose roles pods may name
 * @param any whether every account is allowed ({@code --allowed-role-accounts '*'})
 */
public record RoleAccounts(Optional<String> baseAccount, Set<String> allowed, boolean any) {
  private static final Pattern ACCOUNT = Pattern.compile("\\d{12}");

  /** Every account allowed: resolvers without a base ARN, and operators who opt out. */
  public static final RoleAccounts ANY = new RoleAccounts(Optional.empty(), Set.of(), true);

  public RoleAccounts {
    Objects.requireNonNull(baseAccount, "baseAccount");
    allowed = Set.copyOf(allowed);
  }

  /** Only the base account's roles, the default. */
  public static RoleAccounts only(String baseAccount) {
    return new RoleAccounts(Optional.of(baseAccount), Set.of(), false);
  }

  /**
   * The accounts {@code --allowed-role-accounts} names besides the base: a comma-separated list of
   * 12-digit ids, or {@code *} for any; IllegalArgumentException naming the flag when malformed.
   */
  public static RoleAccounts parse(String baseAccount, String flag) {
    if (flag == null || flag.isBlank()) {
      return only(baseAccount);
    }
    if (flag.strip().equals("*")) {
      return new RoleAccounts(Optional.of(baseAccount), Set.of(), true);
    }
    Set<String> ids = new TreeSet<>();
    for (String part : flag.split(",", -1)) {
      String id = part.strip();
      if (!ACCOUNT.matcher(id).matches()) {
        throw new IllegalArgumentException(
            "--allowed-role-accounts: '"
                + RoleArns.abbreviate(id)
                + "' is not a 12-digit AWS account id; give ids separated by commas, or '*'");
      }
      ids.add(id);
    }
    return new RoleAccounts(Optional.of(baseAccount), ids, false);
  }

  /** Whether pods may have roles in this account. */
  public boolean permits(String account) {
    return any || baseAccount.map(account::equals).orElse(false) || allowed.contains(account);
  }

  /**
   * Why the role is refused for its account, or empty when its account is allowed. Names the role's
   * own account (the pod's owner wrote it) and never the server's.
   */
  public Optional<String> refusal(String roleArn) {
    String account = RoleArns.accountId(roleArn);
    if (permits(account)) {
      return Optional.empty();
    }
    return Optional.of(
        "role '"
            + roleArn
            + "' is in account "
            + account
            + ", which this server does not assume roles in; use a role of the cluster's own"
            + " account, or ask the cluster's operator to add the account to"
            + " --allowed-role-accounts");
  }
}
