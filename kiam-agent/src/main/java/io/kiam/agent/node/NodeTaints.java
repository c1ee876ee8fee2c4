package io.kiam.agent.node;

/** The node's taints as the Kubernetes API holds them: the agent only ever removes one. */
@FunctionalInterface
public interface NodeTaints {
  /**
   * Removes every taint with this key from the node.
   *
   * @return whether a taint was removed (false: the node had none with this key)
   * @throws NodeApiException when the API refused or could not be reached; the caller retries
   */
  boolean remove(String nodeName, String taintKey) throws NodeApiException, InterruptedException;
}
