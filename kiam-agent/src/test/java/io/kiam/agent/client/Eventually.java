package io.kiam.agent.client;

import java.time.Duration;
import java.util.concurrent.Callable;

/** Retries a check until it passes or a bound runs out; for waits on an asynchronous event. */
final class Eventually {
  private Eventually() {}

  static <T> T within(Duration bound, Callable<T> check) throws Exception {
    long end = System.nanoTime() + bound.toNanos();
    while (true) {
      try {
        return check.call();
      } catch (Exception | AssertionError e) {
        if (System.nanoTime() > end) {
          throw e;
        }
        Thread.sleep(50);
      }
    }
  }
}
