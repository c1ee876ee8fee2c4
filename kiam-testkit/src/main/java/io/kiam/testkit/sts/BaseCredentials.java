package io.kiam.testkit.sts;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Long-lived credentials the endpoint accepts (the caller's own, e.g. kiam-server's), the ARN that
 * GetCallerIdentity reports for them, and an optional session token they must carry.
 */
public record BaseCredentials(
    String accessKeyId, String secretAccessKey, String sessionToken, String arn) {

  private static final Pattern PRINCIPAL_ARN =
      Pattern.compile("arn:aws[a-z-]*:(iam|sts)::\\d{12}:(user|role|assumed-role)/\\S+");

  public BaseCredentials {
    requireText(accessKeyId, "accessKeyId");
    requireText(secretAccessKey, "secretAccessKey");
    if (sessionToken != null && sessionToken.isBlank()) {
      throw new IllegalArgumentException("sessionToken must be null or non-blank");
    }
    Objects.requireNonNull(arn, "arn");
    if (!PRINCIPAL_ARN.matcher(arn).matches()) {
      throw new IllegalArgumentException(
          "caller ARN '"
              + arn
              + "' must look like arn:aws:iam::ACCOUNT:user/NAME,"
              + " arn:aws:iam::ACCOUNT:role/NAME or arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION");
    }
  }

  /** Credentials without a session token, as an IAM user's access key. */
  public static BaseCredentials of(String accessKeyId, String secretAccessKey, String arn) {
    return new BaseCredentials(accessKeyId, secretAccessKey, null, arn);
  }

  private static void requireText(String value, String name) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(name + " must not be blank");
    }
  }

  @Override
  public String toString() {
    return "BaseCredentials[accessKeyId="
        + accessKeyId
        + ", secretAccessKey=****, sessionToken="
        + (sessionToken == null ? "none" : "****")
        + ", arn="
        + arn
        + "]";
  }
}
