package io.kiam.server.policy;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Validates IAM role ARNs and takes them apart (partition, account id, path, role name). */
public final class RoleArns {
  /** The partitions STS issues role credentials in; an ARN naming another is a typo. */
  public static final List<String> PARTITIONS =
      List.of(
          "aws",
          "aws-cn",
          "aws-us-gov",
          "aws-iso",
          "aws-iso-b",
          "aws-iso-e",
          "aws-iso-f",
          "aws-eusc");

  /**
   * IAM's own limits: a role name is 1..64 of these, a path segment any printable ASCII but '/'.
   */
  public static final String NAME = "[\\w+=,.@-]{1,64}";

  public static final String PATH_SEGMENT = "[\\x21-\\x2E\\x30-\\x7E]+";

  private static final Pattern ROLE_ARN =
      Pattern.compile(
          "arn:("
              + String.join("|", PARTITIONS)
              + "):iam::(\\d{12}):role/((?:"
              + PATH_SEGMENT
              + "/)*)("
              + NAME
              + ")");

  /** STS refuses a RoleArn outside 20..2048 characters. */
  private static final int MAX_ARN_LENGTH = 2048;

  private RoleArns() {}

  /** Whether the text is a well-formed IAM role ARN in a known partition. */
  public static boolean isValid(String arn) {
    return arn != null && arn.length() <= MAX_ARN_LENGTH && ROLE_ARN.matcher(arn).matches();
  }

  /** The ARN itself, or IllegalArgumentException saying what a role ARN must look like. */
  public static String requireValid(String arn) {
    match(arn);
    return arn;
  }

  /** The partition, e.g. {@code aws-cn}. */
  public static String partition(String arn) {
    return match(arn).group(1);
  }

  /** The 12-digit account id. */
  public static String accountId(String arn) {
    return match(arn).group(2);
  }

  /** The role's path between {@code role/} and the name, with a trailing slash, or empty. */
  public static String path(String arn) {
    return match(arn).group(3);
  }

  /** The role name: the last path segment. */
  public static String roleName(String arn) {
    return match(arn).group(4);
  }

  private static Matcher match(String arn) {
    if (arn == null) {
      throw new IllegalArgumentException("role ARN is missing");
    }
    Matcher m = ROLE_ARN.matcher(arn);
    if (arn.length() > MAX_ARN_LENGTH || !m.matches()) {
      throw new IllegalArgumentException(
          "'"
              + abbreviate(arn)
              + "' is not an IAM role ARN; expected arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME"
              + " with PARTITION one of "
              + PARTITIONS
              + ", a 12-digit ACCOUNT and a NAME of 1..64 of [A-Za-z0-9+=,.@_-]");
    }
    return m;
  }

  /** Keeps an error message readable when someone pastes a whole policy into an annotation. */
  public static String abbreviate(String text) {
    return text.length() <= 200 ? text : text.substring(0, 200) + "...";
  }
}
