package io.kiam.agent.node;

/**
 * The Kubernetes API refused a node change or could not be reached; the message never has a token.
 */
public final class NodeApiException extends Exception {
  private static final long serialVersionUID = 1L;

  private final int status;

  public NodeApiException(String message, int status) {
    super(message);
    this.status = status;
  }

  public NodeApiException(String message, Throwable cause) {
    super(message, cause);
    this.status = 0;
  }

  /** The HTTP status the API answered, 0 when it did not answer. */
  public int status() {
    return status;
  }
}
