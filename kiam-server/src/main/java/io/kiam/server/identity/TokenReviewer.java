package io.kiam.server.identity;

/**
 * Asks the API server who presented a service-account token, and on which node that pod runs: the
 * one fact about an agent it cannot forge, because the kubelet issues the token to the pod it runs.
 */
@FunctionalInterface
public interface TokenReviewer {
  /**
   * The node the token's pod is bound to; {@link Rejected} when the token is not valid or names no
   * node, any other RuntimeException when the API server cannot be asked.
   */
  String nodeOf(String token);

  /** The API server answered, and the answer is no. */
  final class Rejected extends RuntimeException {
    public Rejected(String reason) {
      super(reason);
    }
  }
}
