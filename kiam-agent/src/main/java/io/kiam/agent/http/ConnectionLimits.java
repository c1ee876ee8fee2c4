package io.kiam.agent.http;

/**
 * How many pod connections the agent holds open: per source IP, so one pod cannot take the node's
 * share, and in all, so many pods together cannot exhaust the agent's file descriptors.
 *
 * @param perSource open connections one source IP may hold
 * @param total open connections the agent holds in all
 */
public record ConnectionLimits(int perSource, int total) {
  /** SDKs hold one or two keep-alive connections; 32 leaves room for a busy multi-process pod. */
  public static final int DEFAULT_PER_SOURCE = 32;

  /** Several times the pods a node runs (110 by default), well inside the file limit. */
  public static final int DEFAULT_TOTAL = 2048;

  public ConnectionLimits {
    if (perSource < 1) {
      throw new IllegalArgumentException(
          "--max-connections-per-ip: must be at least 1, was " + perSource);
    }
    if (total < perSource) {
      throw new IllegalArgumentException(
          "--max-connections: must be at least --max-connections-per-ip ("
              + perSource
              + "), was "
              + total);
    }
  }

  /** The defaults. */
  public static ConnectionLimits defaults() {
    return new ConnectionLimits(DEFAULT_PER_SOURCE, DEFAULT_TOTAL);
  }
}
