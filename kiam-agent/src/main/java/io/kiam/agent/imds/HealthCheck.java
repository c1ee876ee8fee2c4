package io.kiam.agent.imds;

import io.kiam.agent.client.ServerClient;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.LongSupplier;

/**
 * The answer to {@code /health}, which any pod may ask without a token: worked out at most once at
 * a time and reused for {@link #MAX_AGE}, so a flood of probes starts no process per request (each
 * iptables check holds the xtables lock kube-proxy and the CNI need) and no server call per
 * request.
 */
final class HealthCheck {
  /** How long one answer is reused. */
  static final Duration MAX_AGE = Duration.ofSeconds(1);

  private final ServerClient servers;
  private final InterceptionCheck interception;
  private final Executor blocking;
  private final long maxAgeNanos;
  private final LongSupplier nanoTime;
  private CompletableFuture<Reply> inFlight;
  private Reply last;
  private long lastAtNanos;

  /**
   * @param blocking where the iptables check runs, never an event loop
   * @param nanoTime the clock answers age by ({@code System::nanoTime} outside tests)
   */
  HealthCheck(
      ServerClient servers,
      InterceptionCheck interception,
      Executor blocking,
      Duration maxAge,
      LongSupplier nanoTime) {
    this.servers = servers;
    this.interception = interception;
    this.blocking = blocking;
    this.maxAgeNanos = maxAge.toNanos();
    this.nanoTime = nanoTime;
  }

  /** The current answer: a fresh-enough one, the one being worked out, or a new one. */
  synchronized CompletableFuture<Reply> current() {
    if (inFlight != null) {
      return inFlight;
    }
    if (last != null && nanoTime.getAsLong() - lastAtNanos < maxAgeNanos) {
      return CompletableFuture.completedFuture(last);
    }
    CompletableFuture<Reply> started = new CompletableFuture<>();
    inFlight = started;
    CompletableFuture<Optional<String>> rule = ruleProblem();
    CompletableFuture<Optional<String>> server =
        servers
            .healthy()
            .handle(
                (healthy, failure) ->
                    Boolean.TRUE.equals(healthy)
                        ? Optional.<String>empty()
                        : Optional.of("no kiam-server answers as serving"));
    server
        .thenCombine(rule, HealthCheck::reply)
        .whenComplete(
            (reply, failure) ->
                finish(
                    started,
                    failure == null
                        ? reply
                        : Reply.error(
                            HttpResponseStatus.SERVICE_UNAVAILABLE, "health check failed")));
    return started;
  }

  private CompletableFuture<Optional<String>> ruleProblem() {
    CompletableFuture<Optional<String>> rule = new CompletableFuture<>();
    try {
      blocking.execute(
          () -> {
            try {
              rule.complete(interception.problem());
            } catch (RuntimeException e) {
              rule.complete(Optional.of("cannot check the iptables rule: " + e.getMessage()));
            }
          });
    } catch (RejectedExecutionException e) {
      rule.complete(Optional.of("cannot check the iptables rule: the agent is stopping"));
    }
    return rule;
  }

  private void finish(CompletableFuture<Reply> started, Reply reply) {
    synchronized (this) {
      last = reply;
      lastAtNanos = nanoTime.getAsLong();
      if (inFlight == started) {
        inFlight = null;
      }
    }
    started.complete(reply);
  }

  private static Reply reply(Optional<String> serverProblem, Optional<String> ruleProblem) {
    StringBuilder why = new StringBuilder();
    serverProblem.ifPresent(why::append);
    ruleProblem.ifPresent(p -> why.append(why.isEmpty() ? "" : "; ").append(p));
    return why.isEmpty()
        ? Reply.text("ok")
        : Reply.error(HttpResponseStatus.SERVICE_UNAVAILABLE, why.toString());
  }
}
