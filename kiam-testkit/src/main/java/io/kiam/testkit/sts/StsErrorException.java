package io.kiam.testkit.sts;

/** Ends the handling of one request with an STS error response. */
final class StsErrorException extends Exception {
  private static final long serialVersionUID = 1L;

  private final transient StsError error;

  StsErrorException(StsError error) {
    // No stack trace: this is an expected answer to a caller, not a failure of the endpoint.
    super(error.code() + ": " + error.message(), null, false, false);
    this.error = error;
  }

  StsError error() {
    return error;
  }
}
