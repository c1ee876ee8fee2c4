package io.kiam.server.sts;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

/**
 * One role session's state in the credential cache. Immutable: every change replaces it through
 * {@code ConcurrentHashMap.compute}, so installing an in-flight call is atomic and readers on the
 * hit path take no lock.
 *
 * @param current the last credentials STS issued, or null
 * @param freshUntil until when current is served without question
 * @param refreshAt when a refresh of current is due
 * @param usableUntil after this current is not handed out at all
 * @param inFlight the one shared STS fetch, or null
 * @param failure the last failure, answered from memory until failureUntil; or null
 * @param giveUps consecutive fetches that ended in a retryable failure (lengthens the pause)
 * @param timer the scheduled refresh or clean-up of this entry, or null
 */
record CacheEntry(
    IssuedCredentials current,
    Instant freshUntil,
    Instant refreshAt,
    Instant usableUntil,
    CompletableFuture<IssuedCredentials> inFlight,
    StsFailure failure,
    Instant failureUntil,
    int giveUps,
    ScheduledFuture<?> timer) {

  static final CacheEntry EMPTY = new CacheEntry(null, null, null, null, null, null, null, 0, null);

  /** An SDK handed credentials with less than a minute left fetches again almost at once. */
  private static final Duration USABLE_MARGIN = Duration.ofMinutes(1);

  /**
   * Fresh credentials. When STS issues fewer minutes than the configuration counts on (a role's
   * MaxSessionDuration, role chaining), the thresholds shrink to fractions of the real lifetime
   * rather than making every request a miss. The refresh comes earlier by up to {@code
   * refreshJitter} of the time until it, as {@code random} (0..1) says, so sessions fetched in one
   * wave are refreshed spread out, and spread further with every round.
   */
  static CacheEntry issued(
      IssuedCredentials credentials, Instant now, CredentialCacheConfig config, double random) {
    Duration lifetime = Duration.between(now, credentials.expiration());
    if (lifetime.isNegative()) {
      lifetime = Duration.ZERO;
    }
    boolean planFits =
        lifetime.compareTo(config.minimumRemaining().plus(config.refreshAhead())) > 0;
    Duration guaranteed = planFits ? config.minimumRemaining() : lifetime.dividedBy(2);
    Duration ahead = planFits ? config.refreshAhead() : lifetime.dividedBy(4);
    Duration margin = min(USABLE_MARGIN, guaranteed.dividedBy(2));
    Instant freshUntil = credentials.expiration().minus(guaranteed);
    Instant refreshAt = freshUntil.minus(ahead);
    Duration untilRefresh = Duration.between(now, refreshAt);
    if (untilRefresh.compareTo(Duration.ZERO) > 0) {
      double early = config.refreshJitter() * Math.min(1, Math.max(0, random));
      refreshAt = refreshAt.minusNanos((long) (untilRefresh.toNanos() * early));
    }
    return new CacheEntry(
        credentials,
        freshUntil,
        refreshAt,
        credentials.expiration().minus(margin),
        null,
        null,
        null,
        0,
        null);
  }

  /** A refusal (AccessDenied, ValidationError): the credentials held are dropped with it. */
  static CacheEntry refused(StsFailure failure, Instant until, ScheduledFuture<?> timer) {
    return new CacheEntry(null, null, null, null, null, failure, until, 0, timer);
  }

  /** Whether STS issued less than the configured guarantee (the thresholds were shrunk). */
  boolean shortLived(CredentialCacheConfig config) {
    return Duration.between(freshUntil, current.expiration()).compareTo(config.minimumRemaining())
        < 0;
  }

  boolean fresh(Instant now) {
    return current != null && now.isBefore(freshUntil);
  }

  boolean refreshDue(Instant now) {
    return current != null && !now.isBefore(refreshAt);
  }

  boolean usable(Instant now) {
    return current != null && now.isBefore(usableUntil);
  }

  boolean failureRemembered(Instant now) {
    return failure != null && now.isBefore(failureUntil);
  }

  CacheEntry withInFlight(CompletableFuture<IssuedCredentials> fetch) {
    return new CacheEntry(
        current, freshUntil, refreshAt, usableUntil, fetch, failure, failureUntil, giveUps, timer);
  }

  CacheEntry withTimer(ScheduledFuture<?> next) {
    return new CacheEntry(
        current,
        freshUntil,
        refreshAt,
        usableUntil,
        inFlight,
        failure,
        failureUntil,
        giveUps,
        next);
  }

  /** An outage or throttling outlasted a fetch's retries; what is still valid is kept. */
  CacheEntry outage(StsFailure cause, Instant until, boolean keepCurrent, ScheduledFuture<?> next) {
    return keepCurrent
        ? new CacheEntry(
            current, freshUntil, refreshAt, usableUntil, null, cause, until, giveUps + 1, next)
        : new CacheEntry(null, null, null, null, null, cause, until, giveUps + 1, next);
  }

  @Override
  public boolean equals(Object other) {
    // Identity: the map's remove(key, value) must only remove the very state a timer looked at.
    return this == other;
  }

  @Override
  public int hashCode() {
    return System.identityHashCode(this);
  }

  @Override
  public String toString() {
    return "CacheEntry[current="
        + current
        + ", inFlight="
        + (inFlight != null)
        + ", failure="
        + (failure == null ? "none" : failure.kind())
        + "]";
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
