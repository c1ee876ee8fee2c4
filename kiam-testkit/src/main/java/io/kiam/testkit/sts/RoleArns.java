package io.kiam.testkit.sts;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses IAM role ARNs and turns role names into ARNs in the endpoint's account. */
final class RoleArns {
  /** A role name with an optional path ("app", "team/app"), as IAM allows them. */
  static final Pattern ROLE_NAME_WITH_PATH =
      Pattern.compile("((?:[\\x21-\\x7E&&[^/]]+/)*)([\\w+=,.@-]{1,64})");

  private static final Pattern ROLE_ARN =
      Pattern.compile("arn:(aws[a-z-]*):iam::(\\d{12}):role/" + ROLE_NAME_WITH_PATH.pattern());

  private RoleArns() {}

  /** One role ARN taken apart. */
  record RoleArn(String arn, String partition, String account, String name) {}

  static Optional<RoleArn> parse(String arn) {
    Matcher m = ROLE_ARN.matcher(arn);
    if (!m.matches()) {
      return Optional.empty();
    }
    return Optional.of(new RoleArn(arn, m.group(1), m.group(2), m.group(4)));
  }

  static boolean isArn(String nameOrArn) {
    return nameOrArn.startsWith("arn:");
  }

  /** The role's ARN: a full ARN as given, a name (with optional path) in {@code account}. */
  static String resolve(String account, String nameOrArn) {
    return isArn(nameOrArn) ? nameOrArn : "arn:aws:iam::" + account + ":role/" + nameOrArn;
  }
}
