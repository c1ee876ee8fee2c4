package io.kiam.server.sts;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half random, so many servers
 * retrying the same throttled account spread out but never retry at once.
 */
final class Backoff {
  private final long baseNanos;
  private final long capNanos;
  private final DoubleSupplier random;

  Backoff(Duration base, Duration cap) {
    this(base, cap, () -> ThreadLocalRandom.current().nextDouble());
  }

  Backoff(Duration base, Duration cap, DoubleSupplier random) {
    this.baseNanos = base.toNanos();
    this.capNanos = cap.toNanos();
    this.random = random;
  }

  /** The delay before attempt {@code failures + 1}, given {@code failures >= 1} so far. */
  Duration delay(int failures) {
    int shift = Math.min(Math.max(failures, 1) - 1, 62);
    long ceiling = baseNanos <= (capNanos >> shift) ? baseNanos << shift : capNanos;
    long half = ceiling / 2;
    return Duration.ofNanos(half + (long) (random.getAsDouble() * (ceiling - half)));
  }
}
