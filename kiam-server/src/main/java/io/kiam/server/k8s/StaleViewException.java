package io.kiam.server.k8s;

/**
 * The pod view is too stale to say which pod has an IP it has not answered before; the gRPC service
 * answers UNAVAILABLE with this message, so the agent asks another server.
 */
public final class StaleViewException extends RuntimeException {
  public StaleViewException(String message) {
    super(message, null, false, false);
  }
}
