package io.kiam.server.sts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiam.testkit.sts.AssumeRoleCall;
import io.kiam.testkit.sts.CallOutcome;
import io.kiam.testkit.sts.StsEndpoint;
import io.kiam.testkit.time.MutableClock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A Throttling answer from the testkit STS, through the real SDK gateway, pauses every AssumeRole
 * of the server, not only the throttled role's. The pause is judged by a clock the test moves, so
 * while it stands still nothing may be sent, however long the machine takes.
 */
@Timeout(30)
class StsPacingStsTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final MutableClock clock = new MutableClock();

  @Test
  void throttlingOfOneRolePausesEveryRoleUntilThePauseEnds() throws Exception {
    try (StsEndpoint sts = StsEndpoint.builder().role("app").role("db").start();
        SdkStsGateway gateway = TestkitGateways.gateway(sts);
        CredentialCache cache =
            new CredentialCache(
                gateway,
                r -> true,
                CredentialCacheTest.fastRetries(CredentialCacheConfig.defaults())
                    .withClock(clock)
                    .withPacing(new CredentialCacheConfig.Pacing(10, 10)))) {
      double pauses = Scrape.counter("kiam_sts_throttle_pauses", null, null);
      sts.faults().throttleRole("app");
      RoleRequest app = new RoleRequest(sts.roleArn("app"), "kiam-kiam", Optional.empty());
      RoleRequest db = new RoleRequest(sts.roleArn("db"), "kiam-kiam", Optional.empty());

      CompletableFuture<IssuedCredentials> appAnswer = cache.credentials(app);
      sts.calls().awaitAssumeRoleCalls("app", 1, WAIT);
      // The throttled call's own retry comes after its backoff and finds the bucket paused.
      await(() -> cache.pacer().queued() == 1);
      assertTrue(cache.pacer().paused());
      assertEquals(pauses + 1, Scrape.counter("kiam_sts_throttle_pauses", null, null));

      CompletableFuture<IssuedCredentials> dbAnswer = cache.credentials(db);
      assertEquals(2, cache.pacer().queued(), "another role waits too, with tokens in the bucket");
      assertEquals(0, sts.calls().assumeRoleCount("db"));
      assertEquals(1, sts.calls().assumeRoleCount());
      assertFalse(appAnswer.isDone());

      sts.faults().clearRole("app");
      clock.advance(Duration.ofSeconds(2)); // past the first pause (1 s at most)
      cache.pacer().drain(); // what the wake-up timer does
      IssuedCredentials appIssued = appAnswer.get(10, TimeUnit.SECONDS);
      IssuedCredentials dbIssued = dbAnswer.get(10, TimeUnit.SECONDS);

      List<CallOutcome> appCalls =
          sts.calls().assumeRoleCalls("app").stream().map(AssumeRoleCall::outcome).toList();
      assertEquals(List.of(CallOutcome.THROTTLED, CallOutcome.ISSUED), appCalls);
      assertEquals(
          sts.calls().assumeRoleCalls("app").get(1).issuedAccessKeyId(), appIssued.accessKeyId());
      assertEquals(
          sts.calls().assumeRoleCalls("db").get(0).issuedAccessKeyId(), dbIssued.accessKeyId());
      assertFalse(cache.pacer().paused());
    }
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("condition not met within " + WAIT);
      }
      Thread.sleep(5);
    }
  }
}
