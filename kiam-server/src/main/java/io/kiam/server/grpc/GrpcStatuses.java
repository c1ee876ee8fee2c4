package io.kiam.server.grpc;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.kiam.server.k8s.StaleViewException;
import io.kiam.server.sts.StsFailure;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's one mapping from failures to gRPC status codes, and the one way an answer reaches
 * the agent; status descriptions never carry secrets.
 */
final class GrpcStatuses {
  private static final Logger log = LoggerFactory.getLogger(KiamGrpcService.class);

  private GrpcStatuses() {}

  /** The single mapping from failures to status codes. */
  static Status toStatus(Throwable failure) {
    Throwable cause = unwrap(failure);
    if (cause instanceof Refusal refusal) {
      return refusal.status;
    }
    if (cause instanceof StsPending pending) {
      return pending.status();
    }
    if (cause instanceof StaleViewException stale) {
      return Status.UNAVAILABLE.withDescription(stale.getMessage());
    }
    if (cause instanceof StsFailure sts) {
      return stsStatus(sts);
    }
    if (cause instanceof CancellationException) {
      return Status.CANCELLED.withDescription("the call was cancelled");
    }
    return Status.INTERNAL.withDescription("internal error; see the server's log");
  }

  /**
   * What the pod learns of an STS failure: the decision and what its owner can do, never STS's own
   * message, which names kiam-server's principal and account ("User: arn:aws:sts::...:assumed-role/
   * ..."). The full message goes to the server's log and the pod's Event.
   */
  private static Status stsStatus(StsFailure sts) {
    String code = sts.errorCode().map(c -> " (" + c + ")").orElse("");
    String details = "; the pod's Events and kiam-server's log have STS's full answer";
    return switch (sts.kind()) {
      case ACCESS_DENIED ->
          Status.PERMISSION_DENIED.withDescription(
              "STS refused to issue the pod's role"
                  + code
                  + ": "
                  + sts.advice()
                      .orElse("the role's trust policy must allow kiam-server to assume it")
                  + details);
      case INVALID ->
          Status.FAILED_PRECONDITION.withDescription(
              "STS rejected the request for the pod's role"
                  + code
                  + ": check the role's maximum session duration and the STS region"
                  + details);
      case UNAVAILABLE ->
          Status.UNAVAILABLE.withDescription(
              "STS is unavailable" + code + "; the SDK's next try may succeed");
    };
  }

  static Optional<StsFailure> stsFailure(Throwable cause) {
    if (cause instanceof StsFailure sts) {
      return Optional.of(sts);
    }
    return cause != null && cause.getCause() instanceof StsFailure sts
        ? Optional.of(sts)
        : Optional.empty();
  }

  static Throwable unwrap(Throwable failure) {
    Throwable cause = failure;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  /** Sends the answer, or its failure as a status; an agent that gave up stops the wait. */
  static <T> void respond(CompletableFuture<T> answer, StreamObserver<T> observer) {
    if (observer instanceof ServerCallStreamObserver<T> call) {
      // The agent gave up: stop waiting for the pod; the shared STS call is not ours to cancel.
      call.setOnCancelHandler(() -> answer.cancel(false));
    }
    answer.whenComplete(
        (value, failure) -> {
          if (observer instanceof ServerCallStreamObserver<T> call && call.isCancelled()) {
            return;
          }
          if (failure != null) {
            Status status = toStatus(failure);
            if (status.getCode() == Status.Code.INTERNAL) {
              log.error("unexpected failure answering an agent", unwrap(failure));
            }
            Throwable cause = unwrap(failure);
            observer.onError(
                cause instanceof StsPending pending
                    ? status.asRuntimeException(pending.pendingTrailers())
                    : StsPending.onSts(cause)
                        ? status.asRuntimeException(StsPending.trailers())
                        : status.asRuntimeException());
          } else {
            observer.onNext(value);
            observer.onCompleted();
          }
        });
  }
}
