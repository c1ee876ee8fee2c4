package io.kiam.server.sts;

import io.kiam.server.policy.RoleArns;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.model.AssumeRoleRequest;
import software.amazon.awssdk.services.sts.model.AssumeRoleResponse;
import software.amazon.awssdk.services.sts.model.Credentials;
import software.amazon.awssdk.services.sts.model.Tag;

/**
 * The STS gateway on the AWS SDK v2 {@code StsClient}, signing as kiam-server's own identity. The
 * client makes one attempt per call (no SDK retries): the credential cache owns retry timing.
 */
public final class SdkStsGateway implements StsGateway, AutoCloseable {
  /** STS codes meaning kiam-server's own credentials were refused; fresh ones may work. */
  private static final Set<String> OWN_CREDENTIALS_REFUSED =
      Set.of(
          "ExpiredToken",
          "ExpiredTokenException",
          "InvalidClientTokenId",
          "RequestExpired",
          "SignatureDoesNotMatch");

  private final StsClient client;
  private final ServerIdentity identity;
  private final Clock clock;

  SdkStsGateway(StsClient client, ServerIdentity identity, Clock clock) {
    this.client = Objects.requireNonNull(client, "client");
    this.identity = Objects.requireNonNull(identity, "identity");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public IssuedCredentials assumeRole(RoleRequest request, Duration sessionDuration) {
    String accountId;
    try {
      accountId = RoleArns.accountId(request.roleArn());
    } catch (IllegalArgumentException e) {
      throw new StsFailure(StsFailure.Kind.INVALID, null, e.getMessage(), e);
    }
    ServerIdentity.Generation signer = identity.current();
    try {
      return issued(request, accountId, call(request, sessionDuration, signer));
    } catch (AwsServiceException e) {
      if (!OWN_CREDENTIALS_REFUSED.contains(code(e))) {
        throw StsErrors.map(request, e);
      }
      // The SDK's cached copy of our identity went stale (expired token, rotated key): drop it.
      identity.renew(signer);
    } catch (SdkException e) {
      throw StsErrors.map(request, e);
    }
    try {
      return issued(request, accountId, call(request, sessionDuration, identity.current()));
    } catch (SdkException e) {
      throw StsErrors.map(request, e);
    }
  }

  private AssumeRoleResponse call(
      RoleRequest request, Duration sessionDuration, ServerIdentity.Generation signer) {
    AssumeRoleRequest.Builder call =
        AssumeRoleRequest.builder()
            .roleArn(request.roleArn())
            .roleSessionName(request.sessionName())
            .durationSeconds(Math.toIntExact(sessionDuration.toSeconds()))
            .overrideConfiguration(o -> o.credentialsProvider(signer.provider()));
    request.externalId().ifPresent(call::externalId);
    SessionTags tags = request.sessionTags();
    if (!tags.tags().isEmpty()) {
      call.tags(
          tags.tags().entrySet().stream()
              .map(t -> Tag.builder().key(t.getKey()).value(t.getValue()).build())
              .toList());
    }
    tags.sourceIdentity().ifPresent(call::sourceIdentity);
    return client.assumeRole(call.build());
  }

  private IssuedCredentials issued(
      RoleRequest request, String accountId, AssumeRoleResponse response) {
    Credentials c = response.credentials();
    if (c == null || c.accessKeyId() == null || c.expiration() == null) {
      throw new StsFailure(
          StsFailure.Kind.UNAVAILABLE,
          null,
          "STS answered AssumeRole of " + request.roleArn() + " without credentials",
          null);
    }
    return new IssuedCredentials(
        c.accessKeyId(),
        c.secretAccessKey(),
        c.sessionToken(),
        c.expiration(),
        clock.instant(),
        accountId,
        request.roleArn());
  }

  private static String code(AwsServiceException e) {
    return e.awsErrorDetails() == null ? "" : String.valueOf(e.awsErrorDetails().errorCode());
  }

  @Override
  public void close() {
    client.close();
    identity.close();
  }
}
