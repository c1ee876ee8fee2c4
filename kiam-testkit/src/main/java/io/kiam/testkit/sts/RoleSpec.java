package io.kiam.testkit.sts;

import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A role the endpoint knows: its name (in the endpoint's account) or ARN, the external id it
 * requires, its MaxSessionDuration, optionally the only principals allowed to assume it, and the
 * session actions its trust policy allows beside sts:AssumeRole ({@code sts:TagSession}, {@code
 * sts:SetSourceIdentity}; none by default, as in IAM).
 */
public record RoleSpec(
    String nameOrArn,
    String externalId,
    Duration maxSessionDuration,
    Set<String> allowedPrincipals,
    Set<String> trustedSessionActions) {

  /** The trust policy action that lets a caller pass session tags. */
  public static final String TAG_SESSION = "sts:TagSession";

  /** The trust policy action that lets a caller set a source identity. */
  public static final String SET_SOURCE_IDENTITY = "sts:SetSourceIdentity";

  private static final Set<String> SESSION_ACTIONS = Set.of(TAG_SESSION, SET_SOURCE_IDENTITY);

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
    trustedSessionActions =
        Set.copyOf(Objects.requireNonNull(trustedSessionActions, "trustedSessionActions"));
    for (String action : trustedSessionActions) {
      if (!SESSION_ACTIONS.contains(action)) {
        throw new IllegalArgumentException(
            "role '"
                + nameOrArn
                + "': unknown session action '"
                + action
                + "' (known: "
                + TAG_SESSION
                + ", "
                + SET_SOURCE_IDENTITY
                + ")");
      }
    }
  }

  /** A role whose trust allows sts:AssumeRole alone. */
  public RoleSpec(
      String nameOrArn,
      String externalId,
      Duration maxSessionDuration,
      Set<String> allowedPrincipals) {
    this(nameOrArn, externalId, maxSessionDuration, allowedPrincipals, Set.of());
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
    return new RoleSpec(
        nameOrArn, id, maxSessionDuration, allowedPrincipals, trustedSessionActions);
  }

  public RoleSpec withMaxSessionDuration(Duration duration) {
    return new RoleSpec(nameOrArn, externalId, duration, allowedPrincipals, trustedSessionActions);
  }

  /** Only callers whose ARN (or, for assumed roles, whose role's ARN) is listed may assume it. */
  public RoleSpec allowingOnly(String... principalArns) {
    return new RoleSpec(
        nameOrArn, externalId, maxSessionDuration, Set.of(principalArns), trustedSessionActions);
  }

  /**
   * The role's trust policy also allows these actions ({@link #TAG_SESSION}, {@link
   * #SET_SOURCE_IDENTITY}); without them STS refuses tags or a source identity with AccessDenied.
   */
  public RoleSpec trusting(String... sessionActions) {
    return new RoleSpec(
        nameOrArn, externalId, maxSessionDuration, allowedPrincipals, Set.of(sessionActions));
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
        + ", trustedSessionActions="
        + trustedSessionActions
        + "]";
  }
}
