package io.kiam.server.sts;

import io.kiam.server.policy.ArnResolver;
import io.kiam.server.policy.RoleAccounts;
import io.kiam.server.policy.RoleArns;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Resolves a role name or path/name against a base ARN ({@code arn:aws:iam::ACCOUNT:role/}) and
 * keeps full ARNs as they are, as kiam did.
 */
public final class DefaultArnResolver implements ArnResolver {
  private static final Pattern BASE =
      Pattern.compile(
          "arn:("
              + String.join("|", RoleArns.PARTITIONS)
              + "):iam::\\d{12}:role/(?:"
              + RoleArns.PATH_SEGMENT
              + "/)*");

  private final String baseArn;
  private final RoleAccounts accounts;

  /**
   * A resolver for roles in the base ARN's account, which refuses full ARNs of other accounts; a
   * missing trailing slash is added, anything else malformed is an IllegalArgumentException.
   */
  public DefaultArnResolver(String baseArn) {
    this(baseArn, "");
  }

  /**
   * A resolver that also lets pods name roles of the accounts in {@code allowedAccounts} ({@code
   * --allowed-role-accounts}: comma-separated 12-digit ids, {@code *} for any, empty for none).
   */
  public DefaultArnResolver(String baseArn, String allowedAccounts) {
    Objects.requireNonNull(baseArn, "baseArn");
    String normalised = baseArn.strip();
    if (normalised.endsWith(":role")) {
      normalised = normalised + "/";
    }
    if (!BASE.matcher(normalised).matches()) {
      throw new IllegalArgumentException(
          "--role-base-arn: '"
              + RoleArns.abbreviate(baseArn)
              + "' is not a role base ARN; expected arn:PARTITION:iam::ACCOUNT:role/ (for example"
              + " arn:aws:iam::123456789012:role/), PARTITION one of "
              + RoleArns.PARTITIONS);
    }
    this.baseArn = normalised;
    // The base followed by a one-letter name is a role ARN of the base's account.
    this.accounts = RoleAccounts.parse(RoleArns.accountId(normalised + "x"), allowedAccounts);
  }

  @Override
  public RoleAccounts accounts() {
    return accounts;
  }

  @Override
  public String resolve(String role) {
    if (role == null || role.isBlank()) {
      throw new IllegalArgumentException("role is empty; annotate the pod with a role name or ARN");
    }
    if (!role.equals(role.strip())) {
      throw new IllegalArgumentException(
          "role '" + RoleArns.abbreviate(role) + "' has leading or trailing whitespace");
    }
    if (role.startsWith("arn:")) {
      return RoleArns.requireValid(role);
    }
    String relative = role.startsWith("/") ? role.substring(1) : role;
    String arn = baseArn + relative;
    if (!RoleArns.isValid(arn)) {
      throw new IllegalArgumentException(
          "role '"
              + RoleArns.abbreviate(role)
              + "' is not a valid role name or path/name: a NAME is 1..64 of [A-Za-z0-9+=,.@_-],"
              + " a path is segments separated by single slashes (team/app-role), or give a full"
              + " role ARN");
    }
    return arn;
  }

  @Override
  public String toString() {
    return "DefaultArnResolver[" + baseArn + "]";
  }
}
