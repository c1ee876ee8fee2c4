package io.kiam.server.sts;

import java.util.Optional;

/**
 * Why credentials could not be had from STS; the gRPC service maps the kind to a status code. The
 * message carries STS's own explanation (never a secret).
 */
public final class StsFailure extends RuntimeException {
  /** The classes of failure the rest of the server distinguishes. */
  public enum Kind {
    /** STS refused the AssumeRole (AccessDenied): an IAM trust problem; not retried, remembered. */
    ACCESS_DENIED,
    /** STS rejected the parameters (ValidationError): a configuration problem; not retried. */
    INVALID,
    /** Throttling, 5xx, timeouts or unreachable STS, after retries, with nothing valid cached. */
    UNAVAILABLE
  }

  private final Kind kind;
  private final String errorCode;
  private final String advice;

  /** The failure every waiting and later request gets once the server is closing. */
  static StsFailure closed() {
    return new StsFailure(
        Kind.UNAVAILABLE, null, "kiam-server is shutting down; ask another server", null);
  }

  public StsFailure(Kind kind, String message, Throwable cause) {
    this(kind, null, message, cause);
  }

  /** A failure with STS's error code ({@code AccessDenied}, {@code Throttling}, ...) kept. */
  public StsFailure(Kind kind, String errorCode, String message, Throwable cause) {
    this(kind, errorCode, message, null, cause);
  }

  /**
   * A failure with what the pod's owner can do about it, in words safe to show a pod (no principal,
   * no account).
   */
  public StsFailure(Kind kind, String errorCode, String message, String advice, Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.errorCode = errorCode;
    this.advice = advice;
  }

  /** What the pod's owner can do, when it is more specific than the kind's usual advice. */
  public Optional<String> advice() {
    return Optional.ofNullable(advice);
  }

  public Kind kind() {
    return kind;
  }

  /** STS's error code when STS answered; empty for timeouts and network failures. */
  public Optional<String> errorCode() {
    return Optional.ofNullable(errorCode);
  }

  /** Whether asking again later may succeed: outages and throttling, never refusals. */
  public boolean retryable() {
    return kind == Kind.UNAVAILABLE;
  }

  /** Whether STS asked us to slow down, as distinct from an outage. */
  public boolean throttled() {
    return errorCode != null
        && (errorCode.startsWith("Throttling") || errorCode.equals("RequestLimitExceeded"));
  }
}
