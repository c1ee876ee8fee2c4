package io.kiam.testkit.sts;

import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A role the endpoint knows: its name (in the endpoint's account) or ARN, the external id it
 * requires, its MaxSessionDuration and, optionally, the only principals allowed to assume it.
 */
public record RoleSpec(
    String nameOrArn,
    String externalId,
    Duration maxSessionDuration,
    Set<String> allowedPrincipals) {

  /** IAM's default MaxSessionDuration for a role. */
  public static final Duration DEFAULT_MAX_SESSION_DURATION = Duration.ofHours(1);

  private static final Duration LONGEST_MAX_SESSION_DURATION = Duration.ofHours(12);
  static final Pattern EXTERNAL_ID = Pattern.compile("[\\w+=,.@:/-]{2,1224}");

  public RoleSpec {
    Objects.requireNonNull(nameOrArn, "nameOrArn");
    Objects.requireNonNull(maxSessionDuration, "maxSessionDuration");
    boolean valid =
        RoleArns.isArn(nameOrArn)
            ? RoleArns.parse(nameOrArn).isPresent()
            : RoleArns.ROLE_NAME_WITH_PATH.matcher(nameOrArn).matches();
    if (!valid) {
      throw new IllegalArgumentException(
          "role '"
              + nameOrArn
              + "' is neither a role name (optionally with a path) nor a role ARN");
    }
    if (externalId != null && !EXTERNAL_ID.matcher(externalId).matches()) {
      throw new IllegalArgumentException(
          "external id for role '" + nameOrArn + "' must be 2..1224 characters of [\\w+=,.@:/-]");
    }
    if (maxSessionDuration.compareTo(DEFAULT_MAX_SESSION_DURATION) < 0
        || maxSessionDuration.compareTo(LONGEST_MAX_SESSION_DURATION) > 0) {
      throw new IllegalArgumentException(
          "MaxSessionDuration of role '"
              + nameOrArn
              + "' must be between 1h and 12h, not "
              + maxSessionDuration);
    }
    allowedPrincipals = Set.copyOf(Objects.requireNonNull(allowedPrincipals, "allowedPrincipals"));
  }

  /** A role any known caller may assume without an external id, for at most one hour. */
  public static RoleSpec of(String nameOrArn) {
    return new RoleSpec(nameOrArn, null, DEFAULT_MAX_SESSION_DURATION, Set.of());
  }

  /**
   * Parses the command-line form {@code NAME[:EXTERNAL_ID]} or {@code ARN[:EXTERNAL_ID]}; role
   * names cannot contain ':' and an ARN has exactly five, so the split is unambiguous.
   */
  public static RoleSpec parse(String spec) {
    String[] parts = spec.split(":", RoleArns.isArn(spec) ? 7 : 2);
    int nameParts = RoleArns.isArn(spec) ? 6 : 1;
    if (parts.length <= nameParts) {
      return of(spec);
    }
    String name = String.join(":", Arrays.copyOf(parts, nameParts));
    return of(name).requiringExternalId(parts[nameParts]);
  }

  public RoleSpec requiringExternalId(String id) {
    return new RoleSpec(nameOrArn, id, maxSessionDuration, allowedPrincipals);
  }

  public RoleSpec withMaxSessionDuration(Duration duration) {
    return new RoleSpec(nameOrArn, externalId, duration, allowedPrincipals);
  }

  /** Only callers whose ARN (or, for assumed roles, whose role's ARN) is listed may assume it. */
  public RoleSpec allowingOnly(String... principalArns) {
    return new RoleSpec(nameOrArn, externalId, maxSessionDuration, Set.of(principalArns));
  }

  @Override
  public String toString() {
    return "RoleSpec[nameOrArn="
        + nameOrArn
        + ", externalId="
        + Redaction.mask(externalId)
        + ", maxSessionDuration="
        + maxSessionDuration
        + ", allowedPrincipals="
        + allowedPrincipals
        + "]";
  }
}
