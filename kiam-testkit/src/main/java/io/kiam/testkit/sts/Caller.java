package io.kiam.testkit.sts;

/**
 * The authenticated principal behind one request; {@code roleArn} is set when the caller is itself
 * a role session, which limits what it may assume (role chaining).
 */
record Caller(String accessKeyId, String arn, String userId, String roleArn, String region) {

  static Caller of(SigningIdentity identity, String region) {
    return new Caller(
        identity.accessKeyId(), identity.arn(), identity.userId(), identity.roleArn(), region);
  }

  boolean isRoleSession() {
    return roleArn != null;
  }

  String account() {
    return arn.split(":", 6)[4];
  }
}
