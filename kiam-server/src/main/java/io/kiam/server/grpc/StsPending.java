package io.kiam.server.grpc;

import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.Status;
import io.kiam.server.sts.StsFailure;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A credentials call still waiting on STS when the agent's deadline comes near is answered
 * UNAVAILABLE, naming STS, just before that deadline: the pod learns that STS is slow, throttling
 * or down, not that no kiam-server was reachable, which is all an expired deadline could tell it.
 * The STS call goes on (it is shared, and the cache keeps its result for the next request). The
 * trailer {@link #REASON} (also on an UNAVAILABLE that STS's own failure caused) lets the agent
 * tell this apart from a server it could not reach; older agents see a plain UNAVAILABLE, as
 * before.
 */
final class StsPending extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Trailer key naming why a server answered UNAVAILABLE. */
  static final Metadata.Key<String> REASON =
      Metadata.Key.of("kiam-reason", Metadata.ASCII_STRING_MARSHALLER);

  /** {@link #REASON}'s value when STS has not answered in time. */
  static final String STS_PENDING = "sts-pending";

  static final String DESCRIPTION =
      "kiam-server is still waiting for STS to issue the pod's role (STS slow, throttling or"
          + " unreachable: the server's log and its kiam_sts_* metrics say which); it keeps"
          + " trying, and the SDK's next try may succeed";

  private static final ScheduledExecutorService TIMER =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "kiam-sts-pending-deadlines");
            t.setDaemon(true);
            return t;
          });

  private StsPending() {
    super(DESCRIPTION, null, false, false);
  }

  Status status() {
    return Status.UNAVAILABLE.withDescription(DESCRIPTION);
  }

  /**
   * Whether an UNAVAILABLE answer comes from STS: still waited on, or failed for now (throttled,
   * down) with nothing valid cached. Either way the pod should read "STS", not "no server".
   */
  static boolean onSts(Throwable cause) {
    if (cause instanceof StsPending) {
      return true;
    }
    Throwable sts = cause instanceof StsFailure ? cause : cause == null ? null : cause.getCause();
    return sts instanceof StsFailure failure && failure.kind() == StsFailure.Kind.UNAVAILABLE;
  }

  /**
   * gRPC's server pushback: a negative value tells the client's retry policy not to retry this
   * answer itself. Without it the agent's policy (which retries UNAVAILABLE) asked the next server
   * with what little was left of the attempt, and the attempt ended DEADLINE_EXCEEDED after all,
   * the mention of STS lost; the agent's own next attempt (a full one) takes its place.
   */
  static final Metadata.Key<String> RETRY_PUSHBACK =
      Metadata.Key.of("grpc-retry-pushback-ms", Metadata.ASCII_STRING_MARSHALLER);

  static Metadata trailers() {
    Metadata trailers = new Metadata();
    trailers.put(REASON, STS_PENDING);
    return trailers;
  }

  /**
   * The trailers of the answer this failure becomes: the reason, and no retry inside the attempt.
   */
  Metadata pendingTrailers() {
    Metadata trailers = trailers();
    trailers.put(RETRY_PUSHBACK, "-1");
    return trailers;
  }

  /**
   * The answer, or this failure with a quarter of the deadline left when it is still pending while
   * {@code waitingOnSts} says the decision is made and only STS is awaited. Without a deadline, the
   * answer as it is.
   */
  static <T> CompletableFuture<T> beforeDeadline(
      CompletableFuture<T> answer, Deadline deadline, BooleanSupplier waitingOnSts) {
    if (deadline == null || answer.isDone()) {
      return answer;
    }
    // A quarter of the caller's time is kept for the answer's way back: 100 ms of the agent's
    // 400 ms attempt, plenty for a loaded node, and STS still gets the other 300.
    long delay = deadline.timeRemaining(TimeUnit.NANOSECONDS) * 3 / 4;
    CompletableFuture<T> bounded = new CompletableFuture<>();
    answer.whenComplete(
        (value, failure) -> {
          if (failure != null) {
            bounded.completeExceptionally(failure);
          } else {
            bounded.complete(value);
          }
        });
    var timer =
        TIMER.schedule(
            () -> {
              if (!bounded.isDone() && waitingOnSts.getAsBoolean()) {
                bounded.completeExceptionally(new StsPending());
              }
            },
            Math.max(0, delay),
            TimeUnit.NANOSECONDS);
    bounded.whenComplete(
        (value, failure) -> {
          timer.cancel(false);
          if (bounded.isCancelled()) {
            answer.cancel(false);
          }
        });
    return bounded;
  }
}
