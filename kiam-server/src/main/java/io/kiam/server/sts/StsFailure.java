package io.kiam.server.sts;

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

  public StsFailure(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
