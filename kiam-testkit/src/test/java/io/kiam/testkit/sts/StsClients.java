package io.kiam.testkit.sts;

import java.net.URI;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.model.Credentials;

/** Real AWS SDK v2 STS clients pointed at a test endpoint. */
final class StsClients {
  private StsClients() {}

  /** Signed with the endpoint's default base credentials, us-east-1, no retries. */
  static StsClient base(StsEndpoint sts) {
    BaseCredentials base = sts.baseCredentials().get(0);
    return of(
        sts.uri(),
        Region.US_EAST_1,
        AwsBasicCredentials.create(base.accessKeyId(), base.secretAccessKey()),
        AwsRetryStrategy.doNotRetry());
  }

  /** Signed with credentials the endpoint issued. */
  static StsClient issued(StsEndpoint sts, Credentials issued) {
    return of(
        sts.uri(),
        Region.EU_WEST_1,
        AwsSessionCredentials.create(
            issued.accessKeyId(), issued.secretAccessKey(), issued.sessionToken()),
        AwsRetryStrategy.doNotRetry());
  }

  static StsClient of(
      URI endpoint, Region region, AwsCredentials credentials, RetryStrategy retry) {
    return StsClient.builder()
        .endpointOverride(endpoint)
        .region(region)
        .credentialsProvider(StaticCredentialsProvider.create(credentials))
        .httpClient(UrlConnectionHttpClient.create())
        .overrideConfiguration(o -> o.retryStrategy(retry))
        .build();
  }
}
