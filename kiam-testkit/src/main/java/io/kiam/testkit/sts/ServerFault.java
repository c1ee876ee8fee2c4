package io.kiam.testkit.sts;

/** A server-side failure the endpoint can be told to answer with. */
public enum ServerFault {
  /** HTTP 500, error code InternalFailure. */
  INTERNAL_FAILURE,
  /** HTTP 503, error code ServiceUnavailable. */
  SERVICE_UNAVAILABLE;

  StsError error() {
    return this == INTERNAL_FAILURE ? StsError.internalFailure() : StsError.serviceUnavailable();
  }
}
