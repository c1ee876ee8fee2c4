package io.kiam.server.sts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class CredentialCacheConfigTest {
  private static final CredentialCacheConfig DEFAULTS = CredentialCacheConfig.defaults();

  @Test
  void defaultsAskForAnHourAndKeepThirtyMinutes() {
    assertEquals(Duration.ofMinutes(60), DEFAULTS.sessionDuration());
    assertEquals(Duration.ofMinutes(30), DEFAULTS.minimumRemaining());
    assertEquals(Duration.ofMinutes(5), DEFAULTS.refreshAhead());
    assertEquals(8, DEFAULTS.maxConcurrentCalls());
    assertEquals(Duration.ofSeconds(30), DEFAULTS.accessDeniedMemory());
  }

  @Test
  void shortSessionsRefreshAheadByLess() {
    CredentialCacheConfig c = DEFAULTS.withSession(Duration.ofMinutes(15), Duration.ofMinutes(10));
    assertEquals(Duration.ofSeconds(150), c.refreshAhead());
    assertEquals(Duration.ofMinutes(15), c.sessionDuration());
  }

  @Test
  void aSessionThatCannotKeepTheMinimumIsRefusedNamingTheFlags() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> DEFAULTS.withSession(Duration.ofMinutes(30), Duration.ofMinutes(30)));
    assertTrue(e.getMessage().startsWith("--session-refresh:"), e.getMessage());
    assertTrue(e.getMessage().contains("--session-duration"), e.getMessage());
  }

  @Test
  void sessionDurationsOutsideStsLimitsAreRefused() {
    for (Duration d : new Duration[] {Duration.ofMinutes(14), Duration.ofHours(13)}) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> DEFAULTS.withSession(d, Duration.ofMinutes(5)));
      assertTrue(e.getMessage().contains("15m..12h"), e.getMessage());
    }
  }

  @Test
  void aNonPositiveMinimumIsRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () -> DEFAULTS.withSession(Duration.ofHours(1), Duration.ZERO));
  }

  @Test
  void backoffIsJitteredBetweenHalfAndAllOfTheDoublingDelayUpToTheCap() {
    Backoff low = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), () -> 0.0);
    Backoff high = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), () -> 0.999999);
    assertEquals(Duration.ofMillis(50), low.delay(1));
    assertEquals(Duration.ofMillis(200), low.delay(3));
    assertEquals(Duration.ofMillis(500), low.delay(10));
    assertEquals(Duration.ofMillis(500), low.delay(Integer.MAX_VALUE));
    assertTrue(high.delay(3).compareTo(Duration.ofMillis(399)) > 0);
    assertTrue(high.delay(30).compareTo(Duration.ofSeconds(1)) <= 0);
  }

  @Test
  void kiamsFetchersKeepTheStsRateLimitAndJitter() {
    CredentialCacheConfig.Pacing pacing = new CredentialCacheConfig.Pacing(7, 9);
    CredentialCacheConfig config =
        CredentialCacheConfig.defaults()
            .withPacing(pacing)
            .withRefreshJitter(0)
            .withMaxConcurrentCalls(3);

    assertEquals(3, config.maxConcurrentCalls());
    assertEquals(pacing, config.pacing());
    assertEquals(0, config.refreshJitter());
  }
}
