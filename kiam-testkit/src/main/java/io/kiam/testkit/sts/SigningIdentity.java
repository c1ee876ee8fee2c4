package io.kiam.testkit.sts;

import java.time.Instant;

/**
 * What the signature check needs to know about one access key id: its secret, the session token it
 * must carry (or null), when it expires (or null), and who it is.
 */
record SigningIdentity(
    String accessKeyId,
    String secretAccessKey,
    String sessionToken,
    Instant expiration,
    String arn,
    String userId,
    String roleArn) {

  static SigningIdentity of(BaseCredentials base) {
    String[] assumed = assumedRoleParts(base.arn());
    String roleArn = null;
    String userId = IamIds.stableId("AIDA", base.arn());
    if (assumed != null) {
      roleArn = "arn:" + assumed[0] + ":iam::" + assumed[1] + ":role/" + assumed[2];
      userId = IamIds.stableId("AROA", roleArn) + ":" + assumed[3];
    }
    return new SigningIdentity(
        base.accessKeyId(),
        base.secretAccessKey(),
        base.sessionToken(),
        null,
        base.arn(),
        userId,
        roleArn);
  }

  static SigningIdentity of(IssuedCredentials issued) {
    return new SigningIdentity(
        issued.accessKeyId(),
        issued.secretAccessKey(),
        issued.sessionToken(),
        issued.expiration(),
        issued.assumedRoleArn(),
        issued.assumedRoleId(),
        issued.roleArn());
  }

  /** {partition, account, role name, session} of an assumed-role ARN, or null. */
  private static String[] assumedRoleParts(String arn) {
    String[] fields = arn.split(":", 6);
    if (fields.length < 6 || !fields[5].startsWith("assumed-role/")) {
      return null;
    }
    String[] path = fields[5].split("/");
    if (path.length < 3) {
      return null;
    }
    return new String[] {fields[1], fields[4], path[1], path[path.length - 1]};
  }

  @Override
  public String toString() {
    return "SigningIdentity[accessKeyId=" + accessKeyId + ", arn=" + arn + "]";
  }
}
