package io.kiam.server.sts;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * How the credential cache asks STS and how long it keeps what it gets.
 *
 * @param sessionDuration DurationSeconds asked of STS (15m..12h)
 * @param minimumRemaining the lifetime served credentials keep at least (SDKs refresh at 15 min
 *     left and hammer the metadata service below about 20, so 30 min by default)
 * @param refreshAhead how much earlier than the minimum-remaining point a refresh starts, leaving
 *     room for retries
 * @param maxConcurrentCalls STS calls in flight at once, across all roles
 * @param maxAttempts attempts of one fetch on throttling or outage before its callers are failed
 * @param backoffBase first retry delay; doubles per attempt, jittered
 * @param backoffCap longest retry delay, also the longest pause between fetches during an outage
 * @param accessDeniedMemory how long an AccessDenied or ValidationError is answered from memory
 * @param staleWait how long a request holding only below-minimum credentials waits for the refresh
 *     before being served those (still valid) credentials
 * @param clock the time the cache judges lifetimes and the STS rate by
 * @param pacing the rate of AssumeRole calls across all roles ({@code --sts-rate}, {@code
 *     --sts-burst})
 * @param refreshJitter the fraction of the time until a refresh by which it may come earlier, at
 *     random, so sessions fetched together are not refreshed together (0..0.5)
 */
public record CredentialCacheConfig(
    Duration sessionDuration,
    Duration minimumRemaining,
    Duration refreshAhead,
    int maxConcurrentCalls,
    int maxAttempts,
    Duration backoffBase,
    Duration backoffCap,
    Duration accessDeniedMemory,
    Duration staleWait,
    Clock clock,
    Pacing pacing,
    double refreshJitter) {

  /**
   * A token bucket for AssumeRole calls: {@code burst} at once after a quiet spell, {@code
   * perSecond} sustained.
   */
  public record Pacing(double perSecond, int burst) {
    /**
     * 50 calls a second: STS's request quota is a token bucket per account and region (600 a second
     * in AWS's published figures), shared with everything else in the account, and every
     * kiam-server replica spends its own 50.
     */
    public static final double DEFAULT_PER_SECOND = 50;

    /** Two seconds' worth: a handful of new roles never waits, a cold start is paced. */
    public static final int DEFAULT_BURST = 100;

    public Pacing {
      if (!(perSecond > 0) || Double.isInfinite(perSecond) || perSecond > 10_000) {
        throw new IllegalArgumentException(
            "--sts-rate: "
                + perSecond
                + " must be a positive number of calls a second, at most 10000");
      }
      if (burst < 1 || burst > 100_000) {
        throw new IllegalArgumentException("--sts-burst: " + burst + " must be 1..100000");
      }
    }

    public static Pacing defaults() {
      return new Pacing(DEFAULT_PER_SECOND, DEFAULT_BURST);
    }
  }

  public static final double DEFAULT_REFRESH_JITTER = 0.2;

  public static final Duration DEFAULT_SESSION_DURATION = Duration.ofMinutes(60);
  public static final Duration DEFAULT_MINIMUM_REMAINING = Duration.ofMinutes(30);
  public static final Duration DEFAULT_REFRESH_AHEAD = Duration.ofMinutes(5);
  public static final int DEFAULT_MAX_CONCURRENT_CALLS = 8;
  public static final int DEFAULT_MAX_ATTEMPTS = 4;
  public static final Duration DEFAULT_BACKOFF_BASE = Duration.ofMillis(200);
  public static final Duration DEFAULT_BACKOFF_CAP = Duration.ofSeconds(30);
  public static final Duration DEFAULT_ACCESS_DENIED_MEMORY = Duration.ofSeconds(30);
  public static final Duration DEFAULT_STALE_WAIT = Duration.ofMillis(250);

  /** STS's own bounds on DurationSeconds. */
  public static final Duration MIN_SESSION_DURATION = Duration.ofMinutes(15);

  public static final Duration MAX_SESSION_DURATION = Duration.ofHours(12);

  public CredentialCacheConfig {
    Objects.requireNonNull(sessionDuration, "sessionDuration");
    Objects.requireNonNull(minimumRemaining, "minimumRemaining");
    Objects.requireNonNull(refreshAhead, "refreshAhead");
    Objects.requireNonNull(backoffBase, "backoffBase");
    Objects.requireNonNull(backoffCap, "backoffCap");
    Objects.requireNonNull(accessDeniedMemory, "accessDeniedMemory");
    Objects.requireNonNull(staleWait, "staleWait");
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(pacing, "pacing");
    if (!(refreshJitter >= 0 && refreshJitter <= 0.5)) {
      throw new IllegalArgumentException("refreshJitter must be 0..0.5, got " + refreshJitter);
    }
    if (sessionDuration.compareTo(MIN_SESSION_DURATION) < 0
        || sessionDuration.compareTo(MAX_SESSION_DURATION) > 0) {
      throw new IllegalArgumentException(
          "--session-duration: " + human(sessionDuration) + " is outside STS's 15m..12h");
    }
    if (minimumRemaining.compareTo(Duration.ZERO) <= 0) {
      throw new IllegalArgumentException(
          "--session-refresh: the minimum remaining lifetime must be positive, got "
              + human(minimumRemaining));
    }
    if (refreshAhead.isNegative()) {
      throw new IllegalArgumentException("refreshAhead must not be negative");
    }
    if (minimumRemaining.plus(refreshAhead).compareTo(sessionDuration) >= 0) {
      throw new IllegalArgumentException(
          "--session-refresh: credentials must keep "
              + human(minimumRemaining)
              + " of life and be refreshed "
              + human(refreshAhead)
              + " before that, which a "
              + human(sessionDuration)
              + " session cannot do; lower --session-refresh or raise --session-duration");
    }
    if (maxConcurrentCalls < 1 || maxAttempts < 1) {
      throw new IllegalArgumentException("maxConcurrentCalls and maxAttempts must be at least 1");
    }
    if (backoffBase.compareTo(Duration.ZERO) <= 0 || backoffCap.compareTo(backoffBase) < 0) {
      throw new IllegalArgumentException("backoff base must be positive and at most the cap");
    }
    if (accessDeniedMemory.isNegative() || staleWait.isNegative()) {
      throw new IllegalArgumentException("accessDeniedMemory and staleWait must not be negative");
    }
  }

  /** The settings before STS pacing had settings: the default pacing and refresh jitter. */
  public CredentialCacheConfig(
      Duration sessionDuration,
      Duration minimumRemaining,
      Duration refreshAhead,
      int maxConcurrentCalls,
      int maxAttempts,
      Duration backoffBase,
      Duration backoffCap,
      Duration accessDeniedMemory,
      Duration staleWait,
      Clock clock) {
    this(
        sessionDuration,
        minimumRemaining,
        refreshAhead,
        maxConcurrentCalls,
        maxAttempts,
        backoffBase,
        backoffCap,
        accessDeniedMemory,
        staleWait,
        clock,
        Pacing.defaults(),
        DEFAULT_REFRESH_JITTER);
  }

  /** The defaults: 60m sessions served with at least 30m left, 8 STS calls at a time. */
  public static CredentialCacheConfig defaults() {
    return new CredentialCacheConfig(
        DEFAULT_SESSION_DURATION,
        DEFAULT_MINIMUM_REMAINING,
        DEFAULT_REFRESH_AHEAD,
        DEFAULT_MAX_CONCURRENT_CALLS,
        DEFAULT_MAX_ATTEMPTS,
        DEFAULT_BACKOFF_BASE,
        DEFAULT_BACKOFF_CAP,
        DEFAULT_ACCESS_DENIED_MEMORY,
        DEFAULT_STALE_WAIT,
        Clock.systemUTC());
  }

  /**
   * The flags' view: {@code --session-duration} and {@code --session-refresh} (the lifetime served
   * credentials keep); the refresh starts up to 5 min earlier, less when the session is short.
   */
  public CredentialCacheConfig withSession(Duration duration, Duration minimumRemaining) {
    Duration slack = duration.minus(minimumRemaining);
    Duration ahead =
        slack.compareTo(Duration.ZERO) > 0 ? min(DEFAULT_REFRESH_AHEAD, slack.dividedBy(2)) : slack;
    return new CredentialCacheConfig(
        duration,
        minimumRemaining,
        ahead.isNegative() ? Duration.ZERO : ahead,
        maxConcurrentCalls,
        maxAttempts,
        backoffBase,
        backoffCap,
        accessDeniedMemory,
        staleWait,
        clock,
        pacing,
        refreshJitter);
  }

  /** The same settings with another STS rate limit. */
  public CredentialCacheConfig withPacing(Pacing pacing) {
    return new CredentialCacheConfig(
        sessionDuration,
        minimumRemaining,
        refreshAhead,
        maxConcurrentCalls,
        maxAttempts,
        backoffBase,
        backoffCap,
        accessDeniedMemory,
        staleWait,
        clock,
        pacing,
        refreshJitter);
  }

  /** The same settings with refreshes spread by another fraction (0: none, as tests want). */
  public CredentialCacheConfig withRefreshJitter(double fraction) {
    return new CredentialCacheConfig(
        sessionDuration,
        minimumRemaining,
        refreshAhead,
        maxConcurrentCalls,
        maxAttempts,
        backoffBase,
        backoffCap,
        accessDeniedMemory,
        staleWait,
        clock,
        pacing,
        fraction);
  }

  /** The same settings with at most {@code calls} STS calls in flight (kiam's --fetchers). */
  public CredentialCacheConfig withMaxConcurrentCalls(int calls) {
    return new CredentialCacheConfig(
        sessionDuration,
        minimumRemaining,
        refreshAhead,
        calls,
        maxAttempts,
        backoffBase,
        backoffCap,
        accessDeniedMemory,
        staleWait,
        clock,
        pacing,
        refreshJitter);
  }

  /** The same settings judged by another clock (tests move time by hand). */
  public CredentialCacheConfig withClock(Clock clock) {
    return new CredentialCacheConfig(
        sessionDuration,
        minimumRemaining,
        refreshAhead,
        maxConcurrentCalls,
        maxAttempts,
        backoffBase,
        backoffCap,
        accessDeniedMemory,
        staleWait,
        clock,
        pacing,
        refreshJitter);
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  /** A duration as the flags write it: 30m, 1h30m, 500ms. */
  static String human(Duration d) {
    return d.toString().substring(2).toLowerCase(java.util.Locale.ROOT);
  }
}
