package io.kiam.testkit.sts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.model.StsException;

@Timeout(30)
class StsEndpointFaultTest {
  private static StsEndpoint sts;
  private static StsClient client;

  @BeforeAll
  static void start() {
    sts = StsEndpoint.builder().role("app").role("other").start();
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
  void throttlesTheNextCallsAndCountsTheSdksRetries() {
    sts.faults().throttleNext(2);
    try (StsClient retrying =
        StsClients.of(
            sts.uri(),
            Region.US_EAST_1,
            AwsBasicCredentials.create(
                StsEndpoint.DEFAULT_ACCESS_KEY_ID, StsEndpoint.DEFAULT_SECRET_ACCESS_KEY),
            AwsRetryStrategy.standardRetryStrategy().toBuilder()
                .maxAttempts(3)
                .backoffStrategy(BackoffStrategy.retryImmediately())
                .throttlingBackoffStrategy(BackoffStrategy.retryImmediately())
                .build())) {
      retrying.assumeRole(r -> r.roleArn(sts.roleArn("app")).roleSessionName("retried"));
    }

    assertEquals(3, sts.calls().assumeRoleCount("app"));
    Map<CallOutcome, Integer> byOutcome = sts.calls().assumeRoleCountsByOutcome();
    assertEquals(2, byOutcome.get(CallOutcome.THROTTLED));
    assertEquals(1, byOutcome.get(CallOutcome.ISSUED));
  }

  @Test
  void throttlingIsAnStsThrottlingError() {
    sts.faults().throttleNext(1);

    StsException e = assertThrows(StsException.class, () -> assume("app"));

    assertEquals("Throttling", e.awsErrorDetails().errorCode());
    assertEquals(400, e.statusCode());
    assertTrue(e.isThrottlingException());
    assume("app");
  }

  @Test
  void failsTheNextCallsWithServerErrorsInOrder() {
    sts.faults()
        .failNext(1, ServerFault.INTERNAL_FAILURE)
        .failNext(1, ServerFault.SERVICE_UNAVAILABLE);

    StsException first = assertThrows(StsException.class, () -> assume("app"));
    StsException second = assertThrows(StsException.class, () -> assume("other"));
    assume("app");

    assertEquals("InternalFailure", first.awsErrorDetails().errorCode());
    assertEquals(500, first.statusCode());
    assertEquals("ServiceUnavailable", second.awsErrorDetails().errorCode());
    assertEquals(503, second.statusCode());
    assertEquals(
        List.of(CallOutcome.INTERNAL_FAILURE, CallOutcome.SERVICE_UNAVAILABLE, CallOutcome.ISSUED),
        sts.calls().assumeRoleCalls().stream().map(AssumeRoleCall::outcome).toList());
  }

  @Test
  void roleFaultsLastUntilClearedAndSpareOtherRoles() {
    sts.faults().throttleRole("app").failRole("other", ServerFault.SERVICE_UNAVAILABLE);

    for (int i = 0; i < 2; i++) {
      assertEquals("Throttling", errorCode(() -> assume("app")));
      assertEquals("ServiceUnavailable", errorCode(() -> assume("other")));
    }
    sts.faults().clearRole("app");
    assume("app");
    assertEquals("ServiceUnavailable", errorCode(() -> assume("other")));

    sts.faults().clear();
    assume("other");
  }

  @Test
  void faultsOnEveryCallLastUntilClearedAndYieldToRoleFaults() {
    sts.faults().failAll(ServerFault.SERVICE_UNAVAILABLE).throttleRole("other");

    for (int i = 0; i < 2; i++) {
      assertEquals("ServiceUnavailable", errorCode(() -> assume("app")));
      assertEquals("Throttling", errorCode(() -> assume("other")));
    }
    sts.faults().throttleAll().clearRole("other");
    assertEquals("Throttling", errorCode(() -> assume("app")));
    assertEquals("Throttling", errorCode(() -> assume("other")));

    sts.faults().clear();
    assume("app");
    assume("other");
  }

  @Test
  void anyRoleOfTheAccountExistsWhenAskedExceptDeniedOnes() {
    try (StsEndpoint sandbox = StsEndpoint.builder().anyRoleInAccount().start();
        StsClient base = StsClients.base(sandbox)) {
      sandbox.faults().denyRole("forbidden");

      base.assumeRole(r -> r.roleArn(sandbox.roleArn("team/anything")).roleSessionName("s1"));
      String denied =
          assertThrows(
                  StsException.class,
                  () ->
                      base.assumeRole(
                          r -> r.roleArn(sandbox.roleArn("forbidden")).roleSessionName("s2")))
              .awsErrorDetails()
              .errorCode();
      String otherAccount =
          assertThrows(
                  StsException.class,
                  () ->
                      base.assumeRole(
                          r ->
                              r.roleArn("arn:aws:iam::210987654321:role/anything")
                                  .roleSessionName("s3")))
              .awsErrorDetails()
              .errorCode();

      assertEquals("AccessDenied", denied);
      assertEquals("AccessDenied", otherAccount);
    }
  }

  @Test
  void delaysCallsForARole() {
    Duration delay = Duration.ofMillis(700);
    sts.faults().delayRole("app", delay);
    assume("other"); // warm the connection so timings measure the endpoint, not the set-up

    long slow = timeMillis(() -> assume("app"));
    long fast = timeMillis(() -> assume("other"));

    assertTrue(slow >= delay.toMillis(), "delayed call took only " + slow + " ms");
    assertTrue(fast < delay.toMillis(), "undelayed call took " + fast + " ms");
  }

  @Test
  void delaysEveryCall() {
    sts.faults().delayAll(Duration.ofMillis(300));

    assertTrue(timeMillis(() -> assume("other")) >= 300);
  }

  @Test
  void awaitsCallsMadeInTheBackground() throws Exception {
    CompletableFuture<Void> background =
        CompletableFuture.runAsync(
            () -> {
              assume("app");
              assume("app");
            });

    List<AssumeRoleCall> calls = sts.awaitAssumeRoleCalls("app", 2, Duration.ofSeconds(10));

    assertEquals(2, calls.size());
    assertEquals(sts.roleArn("app"), calls.get(0).roleArn());
    background.get(10, TimeUnit.SECONDS);
  }

  @Test
  void awaitingFailsClearlyWhenTheCallsDoNotCome() {
    assume("other");

    AssertionError e =
        assertThrows(
            AssertionError.class,
            () -> sts.calls().awaitAssumeRoleCalls("app", 1, Duration.ofMillis(100)));

    assertTrue(
        e.getMessage()
            .startsWith("expected 1 AssumeRole calls for arn:aws:iam::123456789012:role/app"),
        e.getMessage());
    assertEquals(1, sts.calls().awaitAssumeRoleCalls(1, Duration.ofMillis(100)).size());
  }

  @Test
  void resetForgetsCallsAndFaults() {
    sts.faults().throttleRole("app").throttleNext(5);
    assertEquals("Throttling", errorCode(() -> assume("app")));

    sts.reset();

    assertEquals(0, sts.calls().assumeRoleCount());
    assume("app");
    assertEquals(1, sts.calls().assumeRoleCount(CallOutcome.ISSUED));
  }

  private static void assume(String role) {
    client.assumeRole(r -> r.roleArn(sts.roleArn(role)).roleSessionName("fault-test"));
  }

  private static String errorCode(Runnable call) {
    return assertThrows(StsException.class, call::run).awsErrorDetails().errorCode();
  }

  private static long timeMillis(Runnable call) {
    long start = System.nanoTime();
    call.run();
    return (System.nanoTime() - start) / 1_000_000;
  }
}
