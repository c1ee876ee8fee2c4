package io.kiam.server.sts;

import io.kiam.server.policy.RoleArns;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.StsClientBuilder;

/** Builds the STS gateway ServerMain uses from the server's flags. */
public final class StsGateways {
  /** An AssumeRole normally answers in tens of milliseconds; beyond this it is an outage. */
  public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(5);

  private static final Pattern REGION = Pattern.compile("[a-z]{2,}(-[a-z0-9]+)+");

  private StsGateways() {}

  /**
   * An SDK gateway for {@code region} (or {@code endpoint}, a regional or VPC STS endpoint),
   * signing as the default provider chain's identity, through {@code assumeRoleArn} first when
   * present.
   */
  public static SdkStsGateway create(
      String region, Optional<URI> endpoint, Optional<String> assumeRoleArn, Duration callTimeout) {
    return create(
        region,
        endpoint,
        assumeRoleArn,
        callTimeout,
        () -> DefaultCredentialsProvider.builder().build(),
        Clock.systemUTC());
  }

  /** As above with kiam-server's base identity given (tests sign with the testkit's keys). */
  public static SdkStsGateway create(
      String region,
      Optional<URI> endpoint,
      Optional<String> assumeRoleArn,
      Duration callTimeout,
      Supplier<AwsCredentialsProvider> baseIdentity,
      Clock clock) {
    Objects.requireNonNull(region, "region");
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(assumeRoleArn, "assumeRoleArn");
    Objects.requireNonNull(callTimeout, "callTimeout");
    if (!REGION.matcher(region).matches()) {
      throw new IllegalArgumentException(
          "--region: '" + region + "' is not an AWS region name such as eu-west-1");
    }
    if (callTimeout.compareTo(Duration.ZERO) <= 0) {
      throw new IllegalArgumentException("STS call timeout must be positive");
    }
    endpoint.ifPresent(StsGateways::requireHttpUri);
    assumeRoleArn.ifPresent(
        arn -> {
          if (!RoleArns.isValid(arn)) {
            throw new IllegalArgumentException(
                "--assume-role-arn: '"
                    + arn
                    + "' is not an IAM role ARN (arn:aws:iam::ACCT:role/NAME)");
          }
        });
    // The client kiam-server becomes its own role with: SDK retries on, it refreshes in the
    // background.
    Supplier<StsClient> ownClient =
        () ->
            builder(region, endpoint, callTimeout).credentialsProvider(baseIdentity.get()).build();
    ServerIdentity identity = new ServerIdentity(baseIdentity, assumeRoleArn, ownClient);
    StsClient podClient =
        builder(region, endpoint, callTimeout)
            .overrideConfiguration(
                o ->
                    o.retryStrategy(AwsRetryStrategy.doNotRetry())
                        .apiCallTimeout(callTimeout)
                        .apiCallAttemptTimeout(callTimeout))
            .credentialsProvider(() -> identity.current().provider().resolveCredentials())
            .build();
    return new SdkStsGateway(podClient, identity, clock);
  }

  private static StsClientBuilder builder(
      String region, Optional<URI> endpoint, Duration callTimeout) {
    // Given as a builder, the HTTP client belongs to the StsClient and closes with it.
    UrlConnectionHttpClient.Builder http =
        UrlConnectionHttpClient.builder()
            .connectionTimeout(min(callTimeout, Duration.ofSeconds(2)))
            .socketTimeout(callTimeout);
    StsClientBuilder builder =
        StsClient.builder().region(Region.of(region)).httpClientBuilder(http);
    endpoint.ifPresent(builder::endpointOverride);
    return builder;
  }

  private static void requireHttpUri(URI uri) {
    String scheme = uri.getScheme();
    if (uri.getHost() == null || !("https".equals(scheme) || "http".equals(scheme))) {
      throw new IllegalArgumentException(
          "--sts-endpoint: '"
              + uri
              + "' must be an http(s) URL such as https://sts.eu-west-1.amazonaws.com");
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
