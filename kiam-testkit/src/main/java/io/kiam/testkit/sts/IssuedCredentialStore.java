package io.kiam.testkit.sts;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Every set of temporary credentials the endpoint issued, kept (also after expiry, so that an
 * expired set is answered with ExpiredToken rather than as unknown).
 */
final class IssuedCredentialStore {
  private final ConcurrentMap<String, IssuedCredentials> byAccessKeyId = new ConcurrentHashMap<>();
  private final SecureRandom random = new SecureRandom();

  IssuedCredentials issue(
      Role role, String sessionName, Instant expiration, String sourceIdentity) {
    String assumedRoleArn =
        "arn:"
            + role.partition()
            + ":sts::"
            + RoleArns.parse(role.arn()).orElseThrow().account()
            + ":assumed-role/"
            + role.name()
            + "/"
            + sessionName;
    String assumedRoleId = IamIds.stableId("AROA", role.arn()) + ":" + sessionName;
    while (true) {
      IssuedCredentials issued =
          new IssuedCredentials(
              IamIds.temporaryAccessKeyId(random),
              IamIds.secretAccessKey(random),
              IamIds.sessionToken(random),
              expiration,
              role.arn(),
              assumedRoleArn,
              assumedRoleId,
              sourceIdentity);
      // 80 random bits make a collision practically impossible; still, uniqueness is a promise.
      if (byAccessKeyId.putIfAbsent(issued.accessKeyId(), issued) == null) {
        return issued;
      }
    }
  }

  Optional<IssuedCredentials> find(String accessKeyId) {
    return Optional.ofNullable(byAccessKeyId.get(accessKeyId));
  }
}
