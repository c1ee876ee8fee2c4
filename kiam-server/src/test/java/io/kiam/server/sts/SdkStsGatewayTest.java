package io.kiam.server.sts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiam.testkit.sts.AssumeRoleCall;
import io.kiam.testkit.sts.CallOutcome;
import io.kiam.testkit.sts.RoleSpec;
import io.kiam.testkit.sts.ServerFault;
import io.kiam.testkit.sts.StsEndpoint;
import io.kiam.testkit.time.MutableClock;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/** The SDK gateway against the testkit's STS endpoint, which checks every SigV4 signature. */
@Timeout(30)
class SdkStsGatewayTest {
  private static final Duration HOUR = Duration.ofHours(1);
  private static final String EXTERNAL_ID = "partner-ext-7f3a9c";

  private static StsEndpoint sts;
  private static SdkStsGateway gateway;

  @BeforeAll
  static void start() {
    sts =
        StsEndpoint.builder()
            .role("app")
            .role(RoleSpec.of("partner").requiringExternalId(EXTERNAL_ID))
            .start();
    gateway = TestkitGateways.gateway(sts);
  }

  @AfterAll
  static void stop() {
    gateway.close();
    sts.close();
  }

  @BeforeEach
  void reset() {
    sts.reset();
  }

  private static RoleRequest request(String role) {
    return new RoleRequest(sts.roleArn(role), "kiam-kiam", Optional.empty());
  }

  @Test
  void returnsWhatStsIssuedSignedAsTheServersOwnIdentity() {
    IssuedCredentials issued = gateway.assumeRole(request("app"), HOUR);

    var atSts = sts.issuedCredentials(issued.accessKeyId()).orElseThrow();
    assertEquals(atSts.secretAccessKey(), issued.secretAccessKey());
    assertEquals(atSts.sessionToken(), issued.sessionToken());
    assertEquals(atSts.expiration().truncatedTo(ChronoUnit.MILLIS), issued.expiration());
    assertEquals(sts.account(), issued.accountId());
    assertEquals(sts.roleArn("app"), issued.roleArn());

    AssumeRoleCall call = sts.calls().assumeRoleCalls("app").get(0);
    assertEquals(sts.baseCredentials().get(0).accessKeyId(), call.callerAccessKeyId());
    assertEquals("us-east-1", call.region());
    assertEquals("kiam-kiam", call.roleSessionName());
    assertEquals(3600, call.durationSeconds());
  }

  @Test
  void sendsTheExternalIdAndSessionName() {
    RoleRequest partner =
        new RoleRequest(sts.roleArn("partner"), "kiam-checkout", Optional.of(EXTERNAL_ID));
    gateway.assumeRole(partner, HOUR);
    AssumeRoleCall call = sts.calls().assumeRoleCalls("partner").get(0);
    assertEquals(EXTERNAL_ID, call.externalId());
    assertEquals("kiam-checkout", call.roleSessionName());

    RoleRequest wrongId =
        new RoleRequest(sts.roleArn("partner"), "kiam-checkout", Optional.of("not-the-id"));
    StsFailure refused = assertThrows(StsFailure.class, () -> gateway.assumeRole(wrongId, HOUR));
    assertEquals(StsFailure.Kind.ACCESS_DENIED, refused.kind());
    assertTrue(refused.getMessage().contains("with this external id"), refused.getMessage());
  }

  @Test
  void accessDeniedKeepsStsMessageAndIsNotRetryable() {
    sts.faults().denyRole("app");
    StsFailure f = assertThrows(StsFailure.class, () -> gateway.assumeRole(request("app"), HOUR));
    assertEquals(StsFailure.Kind.ACCESS_DENIED, f.kind());
    assertEquals(Optional.of("AccessDenied"), f.errorCode());
    assertFalse(f.retryable());
    assertTrue(
        f.getMessage().contains("is not authorized to perform: sts:AssumeRole"), f.getMessage());
    assertTrue(f.getMessage().contains(sts.roleArn("app")), f.getMessage());
  }

  @Test
  void aDurationAboveTheRolesMaximumIsInvalid() {
    StsFailure f =
        assertThrows(
            StsFailure.class, () -> gateway.assumeRole(request("app"), Duration.ofHours(2)));
    assertEquals(StsFailure.Kind.INVALID, f.kind());
    assertEquals(Optional.of("ValidationError"), f.errorCode());
    assertTrue(f.getMessage().contains("MaxSessionDuration"), f.getMessage());
  }

  @Test
  void throttlingIsRetryableAndTheSdkDoesNotRetryOnItsOwn() {
    sts.faults().throttleRole("app");
    StsFailure f = assertThrows(StsFailure.class, () -> gateway.assumeRole(request("app"), HOUR));
    assertEquals(StsFailure.Kind.UNAVAILABLE, f.kind());
    assertTrue(f.throttled());
    assertTrue(f.retryable());
    assertEquals(1, sts.calls().assumeRoleCount("app"), "one attempt: the cache owns retries");
  }

  @Test
  void serverErrorsAreRetryableWithStsCodeKept() {
    sts.faults().failNext(1, ServerFault.SERVICE_UNAVAILABLE);
    sts.faults().failNext(1, ServerFault.INTERNAL_FAILURE);
    StsFailure first =
        assertThrows(StsFailure.class, () -> gateway.assumeRole(request("app"), HOUR));
    StsFailure second =
        assertThrows(StsFailure.class, () -> gateway.assumeRole(request("app"), HOUR));
    assertEquals(Optional.of("ServiceUnavailable"), first.errorCode());
    assertEquals(Optional.of("InternalFailure"), second.errorCode());
    assertTrue(first.retryable() && second.retryable());
    assertEquals(
        List.of(CallOutcome.SERVICE_UNAVAILABLE, CallOutcome.INTERNAL_FAILURE),
        sts.calls().assumeRoleCalls("app").stream().map(AssumeRoleCall::outcome).toList());
  }

  @Test
  void aSlowStsIsCutOffAtTheCallTimeout() {
    sts.faults().delayRole("app", Duration.ofSeconds(3));
    try (SdkStsGateway impatient =
        TestkitGateways.gateway(sts, Optional.empty(), Duration.ofMillis(300))) {
      long start = System.nanoTime();
      StsFailure f =
          assertThrows(StsFailure.class, () -> impatient.assumeRole(request("app"), HOUR));
      long tookMillis = (System.nanoTime() - start) / 1_000_000;
      assertEquals(StsFailure.Kind.UNAVAILABLE, f.kind());
      assertEquals(Optional.empty(), f.errorCode());
      assertTrue(tookMillis < 2000, "cut off after " + tookMillis + " ms");
    }
  }

  @Test
  void anUnreachableStsIsUnavailable() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    try (SdkStsGateway nowhere =
        StsGateways.create(
            "us-east-1",
            Optional.of(URI.create("http://127.0.0.1:" + closedPort + "/")),
            Optional.empty(),
            Duration.ofSeconds(1),
            TestkitGateways.baseIdentity(sts),
            Clock.systemUTC())) {
      StsFailure f = assertThrows(StsFailure.class, () -> nowhere.assumeRole(request("app"), HOUR));
      assertEquals(StsFailure.Kind.UNAVAILABLE, f.kind());
      assertTrue(f.getMessage().contains("could not get an answer from STS"), f.getMessage());
    }
  }

  @Test
  void anUnknownOwnKeyIsRenewedOnceThenReportedAsUnavailable() {
    AtomicInteger built = new AtomicInteger();
    try (SdkStsGateway unknownKey =
        StsGateways.create(
            "us-east-1",
            Optional.of(sts.uri()),
            Optional.empty(),
            Duration.ofSeconds(2),
            () -> {
              built.incrementAndGet();
              return StaticCredentialsProvider.create(
                  AwsBasicCredentials.create("AKIAUNKNOWNKEY000000", "not-a-known-secret"));
            },
            Clock.systemUTC())) {
      StsFailure f =
          assertThrows(StsFailure.class, () -> unknownKey.assumeRole(request("app"), HOUR));
      assertEquals(StsFailure.Kind.UNAVAILABLE, f.kind(), "not the pod's fault");
      assertEquals(Optional.of("InvalidClientTokenId"), f.errorCode());
      assertEquals(2, built.get(), "the identity was rebuilt once before giving up");
    }
  }

  @Test
  void renewsItsAssumedIdentityWhenStsSaysItsTokenExpired() {
    MutableClock stsClock = new MutableClock();
    try (StsEndpoint chained =
            StsEndpoint.builder()
                .clock(stsClock)
                .maxClockSkew(Duration.ofHours(3))
                .role("kiam-server")
                .role("app")
                .start();
        SdkStsGateway viaOwnRole =
            TestkitGateways.gateway(
                chained, Optional.of(chained.roleArn("kiam-server")), Duration.ofSeconds(2))) {
      RoleRequest app = new RoleRequest(chained.roleArn("app"), "kiam-kiam", Optional.empty());
      viaOwnRole.assumeRole(app, HOUR);
      AssumeRoleCall first = chained.calls().assumeRoleCalls("app").get(0);
      assertTrue(
          first.callerArn().contains(":assumed-role/kiam-server/kiam-server"), first.callerArn());

      // At STS the server's own session has now expired; the SDK's cached copy does not know.
      stsClock.advance(Duration.ofHours(2));
      IssuedCredentials second = viaOwnRole.assumeRole(app, HOUR);

      assertTrue(chained.issuedCredentials(second.accessKeyId()).isPresent());
      assertEquals(2, chained.calls().assumeRoleCount("kiam-server"), "own role assumed again");
      assertEquals(2, chained.calls().assumeRoleCount("app"));
    }
  }

  @Test
  void failingToBecomeItsOwnRoleIsNotReportedAsThePodsAccessDenied() {
    try (StsEndpoint chained = StsEndpoint.builder().role("kiam-server").role("app").start();
        SdkStsGateway viaOwnRole =
            TestkitGateways.gateway(
                chained, Optional.of(chained.roleArn("kiam-server")), Duration.ofSeconds(2))) {
      chained.faults().denyRole("kiam-server");
      RoleRequest app = new RoleRequest(chained.roleArn("app"), "kiam-kiam", Optional.empty());
      StsFailure f = assertThrows(StsFailure.class, () -> viaOwnRole.assumeRole(app, HOUR));
      assertEquals(StsFailure.Kind.UNAVAILABLE, f.kind());
      assertTrue(f.getMessage().contains("--assume-role-arn"), f.getMessage());
      assertEquals(0, chained.calls().assumeRoleCount("app"));
    }
  }
}
