package io.kiam.server.sts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.localstack.LocalStackContainer;
import org.testcontainers.utility.DockerImageName;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;

/**
 * The SDK gateway and the cache against LocalStack's STS, a second independent implementation of
 * the protocol. Needs Docker; reported as skipped where there is none (the testkit-based tests
 * prove the same path there).
 */
@Testcontainers(disabledWithoutDocker = true)
@Timeout(180)
class LocalStackStsIT {
  private static final String ACCOUNT = "000000000000";

  @Container
  static final LocalStackContainer LOCALSTACK =
      new LocalStackContainer(DockerImageName.parse("localstack/localstack:4.4"))
          .withServices("sts", "iam");

  @Test
  void assumesARoleThroughTheCacheAndTheCredentialsNameThatRole() throws Exception {
    RoleRequest request =
        new RoleRequest(
            "arn:aws:iam::" + ACCOUNT + ":role/app", "kiam-kiam", Optional.of("partner-ext-1"));
    try (SdkStsGateway gateway =
            StsGateways.create(
                LOCALSTACK.getRegion(),
                Optional.of(LOCALSTACK.getEndpoint()),
                Optional.empty(),
                Duration.ofSeconds(10),
                () ->
                    StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(
                            LOCALSTACK.getAccessKey(), LOCALSTACK.getSecretKey())),
                Clock.systemUTC());
        CredentialCache cache =
            new CredentialCache(gateway, r -> true, CredentialCacheConfig.defaults())) {
      IssuedCredentials issued = cache.credentials(request).get(60, TimeUnit.SECONDS);

      assertFalse(issued.accessKeyId().isBlank());
      assertFalse(issued.secretAccessKey().isBlank());
      assertFalse(issued.sessionToken().isBlank());
      assertEquals(ACCOUNT, issued.accountId());
      assertTrue(issued.expiration().isAfter(Instant.now().plus(Duration.ofMinutes(30))));

      CompletableFuture<IssuedCredentials> again = cache.credentials(request);
      assertTrue(again.isDone(), "the second request is a cache hit");
      assertEquals(issued.accessKeyId(), again.join().accessKeyId());

      try (StsClient asPod =
          StsClient.builder()
              .endpointOverride(LOCALSTACK.getEndpoint())
              .region(Region.of(LOCALSTACK.getRegion()))
              .httpClient(UrlConnectionHttpClient.create())
              .credentialsProvider(
                  StaticCredentialsProvider.create(
                      AwsSessionCredentials.create(
                          issued.accessKeyId(), issued.secretAccessKey(), issued.sessionToken())))
              .build()) {
        String arn = asPod.getCallerIdentity().arn();
        assertTrue(arn.contains(":assumed-role/app/kiam-kiam"), arn);
      }
    }
  }
}
