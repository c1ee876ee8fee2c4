package io.kiam.server.sts;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The credential cache's log lines, in one place so that what they show is easy to audit: role,
 * session, access key id, expiry and STS's error; external ids masked; never a secret or token.
 */
final class CacheLog {
  private static final Logger log = LoggerFactory.getLogger(CredentialCache.class);

  private CacheLog() {}

  static void issued(
      RoleRequest request, IssuedCredentials issued, boolean shortLived, Duration guaranteed) {
    log.atInfo()
        .addKeyValue("iam.role.arn", request.roleArn())
        .addKeyValue("sts.session.name", request.sessionName())
        .addKeyValue("sts.external.id", request.maskedExternalId())
        .addKeyValue("credentials.access.key", issued.accessKeyId())
        .addKeyValue("credentials.expiration", issued.expiration())
        .log("credentials issued by STS");
    if (shortLived) {
      log.atWarn()
          .addKeyValue("iam.role.arn", request.roleArn())
          .addKeyValue("credentials.expiration", issued.expiration())
          .log(
              "STS issued credentials that expire before the {} they should keep when served;"
                  + " refreshing at fractions of their lifetime instead. Check the role's"
                  + " MaxSessionDuration and role chaining (capped at 1h) against"
                  + " --session-duration",
              CredentialCacheConfig.human(guaranteed));
    }
  }

  static void retrying(RoleRequest request, StsFailure failure, int attempt, Duration delay) {
    log.atWarn()
        .addKeyValue("iam.role.arn", request.roleArn())
        .addKeyValue("sts.session.name", request.sessionName())
        .addKeyValue("sts.external.id", request.maskedExternalId())
        .addKeyValue("sts.error.code", failure.errorCode().orElse("none"))
        .addKeyValue("sts.attempt", attempt)
        .addKeyValue("sts.retry.delay.ms", delay.toMillis())
        .log("STS AssumeRole failed, will retry: {}", failure.getMessage());
  }

  static void gaveUp(RoleRequest request, StsFailure failure) {
    log.atError()
        .addKeyValue("iam.role.arn", request.roleArn())
        .addKeyValue("sts.session.name", request.sessionName())
        .addKeyValue("sts.external.id", request.maskedExternalId())
        .addKeyValue("sts.error.code", failure.errorCode().orElse("none"))
        .addKeyValue("sts.failure", failure.kind())
        .log("STS AssumeRole failed, giving up: {}", failure.getMessage());
  }

  static void servingThroughOutage(RoleRequest request, IssuedCredentials held) {
    log.atWarn()
        .addKeyValue("iam.role.arn", request.roleArn())
        .addKeyValue("sts.session.name", request.sessionName())
        .addKeyValue("credentials.access.key", held.accessKeyId())
        .addKeyValue("credentials.expiration", held.expiration())
        .log("could not refresh; serving the credentials held until they expire or STS answers");
  }

  static void dropped(RoleRequest request) {
    log.atInfo()
        .addKeyValue("iam.role.arn", request.roleArn())
        .addKeyValue("sts.session.name", request.sessionName())
        .log("no live pod uses this role session any more; dropped its credentials");
  }
}
