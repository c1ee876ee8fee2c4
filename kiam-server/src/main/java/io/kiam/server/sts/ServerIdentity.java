package io.kiam.server.sts;

import io.kiam.server.policy.RoleArns;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.auth.StsAssumeRoleCredentialsProvider;
import software.amazon.awssdk.utils.SdkAutoCloseable;

/**
 * kiam-server's own AWS identity: the default provider chain, optionally through one AssumeRole
 * ({@code --assume-role-arn}). Renewable, because when STS says the identity's token expired the
 * SDK's cached copy must be thrown away, not asked again.
 */
final class ServerIdentity implements AutoCloseable {
  /** The session name kiam-server's own AssumeRole shows in CloudTrail. */
  static final String OWN_SESSION_NAME = "kiam-server";

  private final Supplier<AwsCredentialsProvider> baseFactory;
  private final Optional<String> assumeRoleArn;
  private final Supplier<StsClient> ownStsClient;
  private final AtomicReference<Generation> current = new AtomicReference<>();

  /** One set of providers; replaced whole on renewal. */
  record Generation(AwsCredentialsProvider provider, AutoCloseable... owned) {}

  ServerIdentity(
      Supplier<AwsCredentialsProvider> baseFactory,
      Optional<String> assumeRoleArn,
      Supplier<StsClient> ownStsClient) {
    this.baseFactory = Objects.requireNonNull(baseFactory, "baseFactory");
    this.assumeRoleArn = Objects.requireNonNull(assumeRoleArn, "assumeRoleArn");
    this.ownStsClient = Objects.requireNonNull(ownStsClient, "ownStsClient");
    assumeRoleArn.ifPresent(RoleArns::requireValid);
    current.set(build());
  }

  /** The providers to sign the next call with. */
  Generation current() {
    return current.get();
  }

  /**
   * Replaces {@code used} with fresh providers, unless another caller already did: many calls that
   * saw the same ExpiredToken renew once.
   */
  void renew(Generation used) {
    Generation next = build();
    if (current.compareAndSet(used, next)) {
      closeQuietly(used);
    } else {
      closeQuietly(next);
    }
  }

  private Generation build() {
    AwsCredentialsProvider base = baseFactory.get();
    if (assumeRoleArn.isEmpty()) {
      return new Generation(base, closer(base));
    }
    String arn = assumeRoleArn.get();
    StsClient client = ownStsClient.get();
    StsAssumeRoleCredentialsProvider assumed =
        StsAssumeRoleCredentialsProvider.builder()
            .stsClient(client)
            .refreshRequest(r -> r.roleArn(arn).roleSessionName(OWN_SESSION_NAME))
            .build();
    AwsCredentialsProvider described = describeFailures(assumed, arn);
    return new Generation(described, assumed, client, closer(base));
  }

  /**
   * Failing to become the --assume-role-arn role is kiam-server's problem, not the pod's role's:
   * say so, so that an AccessDenied here is not mistaken for the pod's AccessDenied.
   */
  private static AwsCredentialsProvider describeFailures(AwsCredentialsProvider p, String arn) {
    return new AwsCredentialsProvider() {
      @Override
      public AwsCredentials resolveCredentials() {
        try {
          return p.resolveCredentials();
        } catch (RuntimeException e) {
          throw SdkClientException.create(
              "kiam-server could not assume its own role " + arn + " (--assume-role-arn): " + e, e);
        }
      }

      @Override
      public String toString() {
        return "AssumeRole(" + arn + ")";
      }
    };
  }

  private static AutoCloseable closer(AwsCredentialsProvider provider) {
    return provider instanceof SdkAutoCloseable closeable ? closeable::close : () -> {};
  }

  private static void closeQuietly(Generation generation) {
    for (AutoCloseable owned : generation.owned()) {
      try {
        owned.close();
      } catch (Exception e) {
        // Closing a credentials provider only releases its refresh thread; nothing to report.
      }
    }
  }

  @Override
  public void close() {
    closeQuietly(current.get());
  }
}
