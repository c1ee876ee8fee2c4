package io.kiam.server.sts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiam.testkit.sts.AssumeRoleCall;
import io.kiam.testkit.sts.CallOutcome;
import io.kiam.testkit.sts.RoleSpec;
import io.kiam.testkit.sts.ServerFault;
import io.kiam.testkit.sts.StsEndpoint;
import io.kiam.testkit.time.MutableClock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The credential cache in front of the real SDK gateway and the testkit STS endpoint (SigV4
 * checked, faults injected, calls recorded): what issue 3 asks of the cache, end to end.
 */
@Timeout(30)
class CredentialCacheStsTest {
  private static final String EXTERNAL_ID = "partner-ext-7f3a9c";
  private static final Duration WAIT = Duration.ofSeconds(10);

  private static StsEndpoint sts;
  private static SdkStsGateway gateway;

  private final MutableClock clock = new MutableClock();
  private final List<CredentialCache> caches = new ArrayList<>();

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

  @AfterEach
  void closeCaches() {
    caches.forEach(CredentialCache::close);
  }

  private CredentialCache cache(StsGateway via, CredentialCacheConfig config) {
    CredentialCache cache = new CredentialCache(via, r -> true, config);
    caches.add(cache);
    return cache;
  }

  private CredentialCache cache() {
    return cache(
        gateway,
        CredentialCacheTest.fastRetries(CredentialCacheConfig.defaults()).withClock(clock));
  }

  private static RoleRequest app() {
    return new RoleRequest(sts.roleArn("app"), "kiam-kiam", Optional.empty());
  }

  @Test
  void fiftyConcurrentRequestsForOneIdentityMakeOneStsCall() throws Exception {
    sts.faults().delayRole("app", Duration.ofMillis(300));
    CredentialCache cache = cache();
    ExecutorService callers = Executors.newFixedThreadPool(50);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<CompletableFuture<IssuedCredentials>>> asked = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        asked.add(
            callers.submit(
                () -> {
                  start.await();
                  return cache.credentials(app());
                }));
      }
      start.countDown();
      Set<String> keys = new java.util.HashSet<>();
      for (Future<CompletableFuture<IssuedCredentials>> a : asked) {
        keys.add(a.get(10, TimeUnit.SECONDS).get(10, TimeUnit.SECONDS).accessKeyId());
      }
      assertEquals(1, keys.size());
      assertEquals(1, sts.calls().assumeRoleCount("app"));
      assertTrue(sts.issuedCredentials(keys.iterator().next()).isPresent());
    } finally {
      callers.shutdownNow();
    }
  }

  @Test
  void aPrefetchedPodsFirstRequestMakesNoStsCall() throws Exception {
    CredentialCache cache = cache();
    cache.prefetch(app()).get(10, TimeUnit.SECONDS);
    assertEquals(1, sts.calls().assumeRoleCount("app"));

    CompletableFuture<IssuedCredentials> first = cache.credentials(app());
    assertTrue(first.isDone(), "answered from the cache");
    assertEquals(
        sts.calls().assumeRoleCalls("app").get(0).issuedAccessKeyId(), first.join().accessKeyId());
    assertEquals(1, sts.calls().assumeRoleCount("app"));
  }

  @Test
  void refreshesBeforeExpiryWithoutAnyRequestAsking() throws Exception {
    // STS's clock runs 59m57s behind, so its one-hour credentials expire 3 s from now; the cache
    // keeps 1 s of life and starts refreshing 0.5 s before that point.
    Duration lag = Duration.ofHours(1).minusSeconds(3);
    Clock behind = Clock.offset(Clock.systemUTC(), lag.negated());
    try (StsEndpoint shortLived =
            StsEndpoint.builder()
                .clock(behind)
                .maxClockSkew(Duration.ofHours(2))
                .role("app")
                .start();
        SdkStsGateway via = TestkitGateways.gateway(shortLived)) {
      CredentialCache cache =
          cache(
              via,
              new CredentialCacheConfig(
                  Duration.ofHours(1),
                  Duration.ofSeconds(1),
                  Duration.ofMillis(500),
                  8,
                  3,
                  Duration.ofMillis(50),
                  Duration.ofMillis(500),
                  Duration.ofSeconds(30),
                  Duration.ofMillis(100),
                  Clock.systemUTC()));
      RoleRequest request =
          new RoleRequest(shortLived.roleArn("app"), "kiam-kiam", Optional.empty());
      IssuedCredentials first = cache.prefetch(request).get(10, TimeUnit.SECONDS);

      List<AssumeRoleCall> calls = shortLived.awaitAssumeRoleCalls("app", 2, WAIT);
      Instant refreshedAt = calls.get(1).at().plus(lag); // STS's clock, back to ours
      assertTrue(refreshedAt.isBefore(first.expiration()), "refreshed before expiry");
      String secondKey = calls.get(1).issuedAccessKeyId();
      assertNotEquals(first.accessKeyId(), secondKey);

      // The refresh is installed before its STS call, so it is either in flight or stored.
      CompletableFuture<IssuedCredentials> refresh = cache.pending(request);
      if (refresh != null) {
        refresh.get(10, TimeUnit.SECONDS);
      }
      IssuedCredentials served = cache.credentials(request).get(10, TimeUnit.SECONDS);
      assertNotEquals(first.accessKeyId(), served.accessKeyId());
      assertTrue(
          Duration.between(Instant.now(), served.expiration()).toMillis() >= 900,
          "served credentials keep the guaranteed lifetime");
    }
  }

  @Test
  void anStsOutageKeepsValidCredentialsFlowing() throws Exception {
    CredentialCache cache = cache();
    IssuedCredentials held = cache.prefetch(app()).get(10, TimeUnit.SECONDS);
    sts.faults().failRole("app", ServerFault.SERVICE_UNAVAILABLE);

    clock.advance(Duration.ofMinutes(31)); // due for refresh, 29 minutes still valid
    for (int i = 0; i < 5; i++) {
      assertEquals(
          held.accessKeyId(), cache.credentials(app()).get(10, TimeUnit.SECONDS).accessKeyId());
    }
    List<AssumeRoleCall> calls = sts.awaitAssumeRoleCalls("app", 2, WAIT);
    assertEquals(CallOutcome.SERVICE_UNAVAILABLE, calls.get(1).outcome(), "refresh attempted");

    clock.advance(Duration.ofMinutes(28).plusSeconds(30)); // nothing usable remains
    StsFailure failure =
        assertInstanceOf(
            StsFailure.class,
            assertThrows(
                    ExecutionException.class,
                    () -> cache.credentials(app()).get(10, TimeUnit.SECONDS))
                .getCause());
    assertEquals(StsFailure.Kind.UNAVAILABLE, failure.kind());
    assertEquals(Optional.of("ServiceUnavailable"), failure.errorCode());
  }

  @Test
  void accessDeniedIsRememberedThenAskedAgain() throws Exception {
    CredentialCache cache = cache();
    sts.faults().denyRole("app");
    ExecutionException first =
        assertThrows(
            ExecutionException.class, () -> cache.credentials(app()).get(10, TimeUnit.SECONDS));
    StsFailure denied = assertInstanceOf(StsFailure.class, first.getCause());
    assertEquals(StsFailure.Kind.ACCESS_DENIED, denied.kind());
    assertTrue(denied.getMessage().contains("not authorized to perform: sts:AssumeRole"));

    CompletableFuture<IssuedCredentials> second = cache.credentials(app());
    assertTrue(second.isCompletedExceptionally(), "answered from memory");
    assertEquals(1, sts.calls().assumeRoleCount("app"));

    sts.faults().clearRole("app");
    clock.advance(CredentialCacheConfig.DEFAULT_ACCESS_DENIED_MEMORY.plusSeconds(1));
    cache.credentials(app()).get(10, TimeUnit.SECONDS);
    assertEquals(
        List.of(CallOutcome.ACCESS_DENIED, CallOutcome.ISSUED),
        sts.calls().assumeRoleCalls("app").stream().map(AssumeRoleCall::outcome).toList());
  }

  @Test
  void throttlingBacksOffAndSucceeds() throws Exception {
    CredentialCache cache = cache();
    sts.faults().throttleNext(2);
    IssuedCredentials issued =
        CredentialCacheTest.pastThrottlePauses(cache.credentials(app()), cache, clock);

    List<AssumeRoleCall> calls = sts.calls().assumeRoleCalls("app");
    assertEquals(
        List.of(CallOutcome.THROTTLED, CallOutcome.THROTTLED, CallOutcome.ISSUED),
        calls.stream().map(AssumeRoleCall::outcome).toList());
    assertEquals(calls.get(2).issuedAccessKeyId(), issued.accessKeyId());
    // fastRetries: a 40 ms base, equal jitter, so at least 20 ms and then at least 40 ms apart.
    assertTrue(Duration.between(calls.get(0).at(), calls.get(1).at()).toMillis() >= 19);
    assertTrue(Duration.between(calls.get(1).at(), calls.get(2).at()).toMillis() >= 39);
  }

  @Test
  void aCallerThatCancelsDoesNotFailTheOthers() throws Exception {
    sts.faults().delayRole("app", Duration.ofMillis(300));
    CredentialCache cache = cache();
    CompletableFuture<IssuedCredentials> cancelled = cache.credentials(app());
    CompletableFuture<IssuedCredentials> shortDeadline =
        cache.credentials(app()).orTimeout(20, TimeUnit.MILLISECONDS);
    CompletableFuture<IssuedCredentials> patient = cache.credentials(app());
    cancelled.cancel(true);

    assertThrows(ExecutionException.class, () -> shortDeadline.get(10, TimeUnit.SECONDS));
    IssuedCredentials issued = patient.get(10, TimeUnit.SECONDS);
    assertTrue(sts.issuedCredentials(issued.accessKeyId()).isPresent());
    assertEquals(1, sts.calls().assumeRoleCount("app"));
    assertTrue(cache.credentials(app()).isDone());
  }

  @Test
  void externalIdAndSessionNameReachSts() throws Exception {
    CredentialCache cache = cache();
    String session = new SessionNames("kiam").forPod(Optional.of("checkout/api"));
    RoleRequest partner =
        new RoleRequest(sts.roleArn("partner"), session, Optional.of(EXTERNAL_ID));
    cache.credentials(partner).get(10, TimeUnit.SECONDS);

    AssumeRoleCall call = sts.calls().assumeRoleCalls("partner").get(0);
    assertEquals("kiam-checkout-api", call.roleSessionName());
    assertEquals(EXTERNAL_ID, call.externalId());
    assertEquals(3600, call.durationSeconds());
    assertEquals(CallOutcome.ISSUED, call.outcome());

    Set<String> sessions =
        sts.calls().assumeRoleCalls().stream()
            .map(AssumeRoleCall::roleSessionName)
            .collect(Collectors.toSet());
    assertEquals(Set.of("kiam-checkout-api"), sessions);
  }
}
