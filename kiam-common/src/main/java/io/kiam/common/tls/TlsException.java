package io.kiam.common.tls;

/** TLS material that cannot be used: a missing file, a malformed PEM, a key that does not match. */
public final class TlsException extends RuntimeException {
  public TlsException(String message) {
    super(message);
  }

  public TlsException(String message, Throwable cause) {
    super(message, cause);
  }
}
