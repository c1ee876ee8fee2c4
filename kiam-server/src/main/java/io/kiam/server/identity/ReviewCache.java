package io.kiam.server.identity;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Remembers each token's review for a short while, so an agent's calls cost the API server one
 * TokenReview a minute, not one per call. A refusal is not remembered: a token that failed may be a
 * rotation racing the review.
 */
public final class ReviewCache implements TokenReviewer {
  /** Long enough to spare the API server, short next to a projected token's hour. */
  public static final Duration DEFAULT_TTL = Duration.ofMinutes(1);

  private static final int MAX_ENTRIES = 4096;

  private final TokenReviewer reviewer;
  private final Duration ttl;
  private final Clock clock;
  private final Map<String, Entry> entries =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
          return size() > MAX_ENTRIES;
        }
      };

  private record Entry(String node, Instant until) {}

  public ReviewCache(TokenReviewer reviewer, Duration ttl, Clock clock) {
    this.reviewer = Objects.requireNonNull(reviewer, "reviewer");
    this.ttl = Objects.requireNonNull(ttl, "ttl");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public String nodeOf(String token) {
    Instant now = clock.instant();
    synchronized (entries) {
      Entry hit = entries.get(token);
      if (hit != null && now.isBefore(hit.until())) {
        return hit.node();
      }
    }
    String node = reviewer.nodeOf(token);
    synchronized (entries) {
      entries.put(token, new Entry(node, now.plus(ttl)));
    }
    return node;
  }
}
