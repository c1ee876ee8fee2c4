package io.kiam.testkit.sts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.model.AssumeRoleResponse;
import software.amazon.awssdk.services.sts.model.Credentials;
import software.amazon.awssdk.services.sts.model.GetCallerIdentityResponse;
import software.amazon.awssdk.services.sts.model.Tag;

@Timeout(30)
class StsEndpointAssumeRoleTest {
  private static final String ACCOUNT = "210987654321";
  private static StsEndpoint sts;
  private static StsClient client;

  @BeforeAll
  static void start() {
    sts =
        StsEndpoint.builder()
            .account(ACCOUNT)
            .role(RoleSpec.of("app").trusting(RoleSpec.TAG_SESSION, RoleSpec.SET_SOURCE_IDENTITY))
            .role(
                RoleSpec.of("arn:aws:iam::" + ACCOUNT + ":role/team/db")
                    .withMaxSessionDuration(Duration.ofHours(12)))
            .start();
    client = StsClients.base(sts);
  }

  @AfterAll
  static void stop() {
    client.close();
    sts.close();
  }

  @AfterEach
  void reset() {
    sts.reset();
  }

  @Test
  void issuesCredentialsShapedLikeStsWithTheExpiryAsked() {
    Instant before = Instant.now();
    AssumeRoleResponse response =
        client.assumeRole(
            r -> r.roleArn(sts.roleArn("app")).roleSessionName("kiam-pod-1").durationSeconds(900));
    Credentials c = response.credentials();

    assertTrue(c.accessKeyId().matches("ASIA[A-Z2-7]{16}"), c.accessKeyId());
    assertEquals(40, c.secretAccessKey().length());
    assertTrue(c.sessionToken().length() > 100);
    Duration lifetime = Duration.between(before, c.expiration());
    assertTrue(
        lifetime.compareTo(Duration.ofSeconds(899)) >= 0
            && lifetime.compareTo(Duration.ofSeconds(905)) <= 0,
        "expiration " + c.expiration() + " is not 900 s after " + before);
    assertEquals(
        "arn:aws:sts::" + ACCOUNT + ":assumed-role/app/kiam-pod-1",
        response.assumedRoleUser().arn());
    assertTrue(
        response.assumedRoleUser().assumedRoleId().matches("AROA[A-Z2-7]{17}:kiam-pod-1"),
        response.assumedRoleUser().assumedRoleId());
    IssuedCredentials issued = sts.issuedCredentials(c.accessKeyId()).orElseThrow();
    assertEquals(c.secretAccessKey(), issued.secretAccessKey());
    assertEquals(c.sessionToken(), issued.sessionToken());
  }

  @Test
  void defaultDurationIsOneHour() {
    Instant before = Instant.now();
    Credentials c =
        client
            .assumeRole(r -> r.roleArn(sts.roleArn("app")).roleSessionName("default"))
            .credentials();

    Duration lifetime = Duration.between(before, c.expiration());
    assertTrue(
        lifetime.compareTo(Duration.ofSeconds(3599)) >= 0
            && lifetime.compareTo(Duration.ofSeconds(3605)) <= 0);
    assertNull(sts.calls().assumeRoleCalls().get(0).durationSeconds(), "recorded as sent: absent");
  }

  @Test
  void everyCallIssuesDistinctCredentials() {
    Set<String> keys = new HashSet<>();
    Set<String> tokens = new HashSet<>();
    for (int i = 0; i < 5; i++) {
      Credentials c =
          client
              .assumeRole(r -> r.roleArn(sts.roleArn("app")).roleSessionName("same"))
              .credentials();
      keys.add(c.accessKeyId());
      tokens.add(c.sessionToken());
    }
    assertEquals(5, keys.size());
    assertEquals(5, tokens.size());
  }

  @Test
  void issuedCredentialsIdentifyAsTheAssumedRole() {
    AssumeRoleResponse response =
        client.assumeRole(r -> r.roleArn(sts.roleArn("team/db")).roleSessionName("who-am-i"));

    try (StsClient asRole = StsClients.issued(sts, response.credentials())) {
      GetCallerIdentityResponse identity = asRole.getCallerIdentity();
      assertEquals("arn:aws:sts::" + ACCOUNT + ":assumed-role/db/who-am-i", identity.arn());
      assertEquals(response.assumedRoleUser().assumedRoleId(), identity.userId());
      assertEquals(ACCOUNT, identity.account());
    }
    assertEquals(1, sts.calls().getCallerIdentityCount());
  }

  @Test
  void baseCredentialsIdentifyAsTheConfiguredCaller() {
    GetCallerIdentityResponse identity = client.getCallerIdentity();

    assertEquals("arn:aws:iam::" + ACCOUNT + ":user/kiam-test", identity.arn());
    assertTrue(identity.userId().startsWith("AIDA"), identity.userId());
    assertEquals(ACCOUNT, identity.account());
  }

  @Test
  void acceptsRequestsSignedForAnyRegion() {
    BaseCredentials base = sts.baseCredentials().get(0);
    try (StsClient regional =
        StsClients.of(
            sts.uri(),
            Region.AP_SOUTHEAST_2,
            AwsBasicCredentials.create(base.accessKeyId(), base.secretAccessKey()),
            AwsRetryStrategy.doNotRetry())) {
      regional.assumeRole(r -> r.roleArn(sts.roleArn("app")).roleSessionName("sydney"));
    }
    assertEquals("ap-southeast-2", sts.calls().assumeRoleCalls().get(0).region());
  }

  @Test
  void roleMaxSessionDurationAllowsLongSessions() {
    Instant before = Instant.now();
    Credentials c =
        client
            .assumeRole(
                r ->
                    r.roleArn(sts.roleArn("team/db"))
                        .roleSessionName("long")
                        .durationSeconds(43200))
            .credentials();

    assertTrue(
        Duration.between(before, c.expiration()).compareTo(Duration.ofHours(12).minusSeconds(2))
            >= 0);
  }

  @Test
  void echoesSourceIdentityAndRecordsWhatWasSent() {
    AssumeRoleResponse response =
        client.assumeRole(
            r ->
                r.roleArn(sts.roleArn("app"))
                    .roleSessionName("recorded")
                    .durationSeconds(1800)
                    .externalId("unused-ext")
                    .sourceIdentity("alice@example.com")
                    .tags(
                        Tag.builder().key("pod").value("web-1").build(),
                        Tag.builder().key("namespace").value("shop").build()));

    assertEquals("alice@example.com", response.sourceIdentity());
    List<AssumeRoleCall> calls = sts.calls().assumeRoleCalls("app");
    assertEquals(1, calls.size());
    AssumeRoleCall call = calls.get(0);
    assertEquals(CallOutcome.ISSUED, call.outcome());
    assertEquals("recorded", call.roleSessionName());
    assertEquals(1800, call.durationSeconds());
    assertEquals("unused-ext", call.externalId());
    assertEquals("alice@example.com", call.sourceIdentity());
    assertEquals(List.of("pod", "namespace"), List.copyOf(call.tags().keySet()));
    assertEquals(Map.of("pod", "web-1", "namespace", "shop"), call.tags());
    assertEquals(response.credentials().accessKeyId(), call.issuedAccessKeyId());
    assertEquals(sts.baseCredentials().get(0).accessKeyId(), call.callerAccessKeyId());
    assertTrue(!call.toString().contains("unused-ext"), "external id must be masked: " + call);
  }

  @Test
  void roleChainingIsCappedAtOneHour() {
    Credentials first =
        client
            .assumeRole(r -> r.roleArn(sts.roleArn("app")).roleSessionName("hop-1"))
            .credentials();

    try (StsClient asRole = StsClients.issued(sts, first)) {
      AssumeRoleResponse chained =
          asRole.assumeRole(
              r ->
                  r.roleArn(sts.roleArn("team/db")).roleSessionName("hop-2").durationSeconds(3600));
      assertNotEquals(first.accessKeyId(), chained.credentials().accessKeyId());
      var refused =
          org.junit.jupiter.api.Assertions.assertThrows(
              software.amazon.awssdk.services.sts.model.StsException.class,
              () ->
                  asRole.assumeRole(
                      r ->
                          r.roleArn(sts.roleArn("team/db"))
                              .roleSessionName("hop-2")
                              .durationSeconds(3601)));
      assertEquals("ValidationError", refused.awsErrorDetails().errorCode());
      assertTrue(refused.awsErrorDetails().errorMessage().contains("role chaining"));
      assertEquals(
          "arn:aws:sts::" + ACCOUNT + ":assumed-role/app/hop-1",
          sts.calls().assumeRoleCalls("team/db").get(0).callerArn());
    }
  }
}
