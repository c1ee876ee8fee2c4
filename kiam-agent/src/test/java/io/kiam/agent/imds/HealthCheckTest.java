package io.kiam.agent.imds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.kiam.agent.http.FakeServerClient;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The /health answer's reuse: one check in flight at most, its answer kept for a while. */
class HealthCheckTest {
  private final FakeServerClient servers = new FakeServerClient();
  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final AtomicInteger checks = new AtomicInteger();
  private final Queue<Runnable> blocking = new ArrayDeque<>();
  private volatile Optional<String> problem = Optional.empty();
  private final HealthCheck health =
      new HealthCheck(
          servers,
          () -> {
            checks.incrementAndGet();
            return problem;
          },
          blocking::add,
          Duration.ofSeconds(1),
          now::get);

  private void runBlocking() {
    for (Runnable task = blocking.poll(); task != null; task = blocking.poll()) {
      task.run();
    }
  }

  @Test
  void probesWhileACheckRunsShareIt() {
    CompletableFuture<Reply> first = health.current();
    CompletableFuture<Reply> second = health.current();

    assertSame(first, second);
    assertFalse(first.isDone());
    assertEquals(1, blocking.size(), "one check queued");
    runBlocking();
    assertEquals(200, first.join().status().code());
    assertEquals(1, checks.get());
  }

  @Test
  void anAnswerIsReusedForItsMaxAgeThenWorkedOutAgain() {
    health.current();
    runBlocking();
    problem = Optional.of("iptables DNAT rule for cali+ is missing");

    now.addAndGet(Duration.ofMillis(999).toNanos());
    Reply reused = health.current().join();
    now.addAndGet(Duration.ofMillis(1).toNanos());
    CompletableFuture<Reply> fresh = health.current();
    runBlocking();

    assertEquals(200, reused.status().code());
    assertEquals(503, fresh.join().status().code());
    assertEquals(2, checks.get());
    assertEquals(2, servers.calls().stream().filter("healthy"::equals).count());
  }

  @Test
  void aCheckThatThrowsIsAProblemNotAStuckProbe() {
    HealthCheck failing =
        new HealthCheck(
            servers,
            () -> {
              throw new IllegalStateException("xtables lock held");
            },
            Runnable::run,
            Duration.ofSeconds(1),
            now::get);

    Reply reply = failing.current().join();

    assertEquals(503, reply.status().code());
    assertEquals(
        "cannot check the iptables rule: xtables lock held\n",
        new String(reply.body(), java.nio.charset.StandardCharsets.UTF_8));
  }
}
