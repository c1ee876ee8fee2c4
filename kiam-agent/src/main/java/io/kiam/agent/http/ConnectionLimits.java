package io.kiam.agent.http;

/**
 * How many pod connections the agent holds open: per source IP, so one pod cannot take the node's
 * share, and in all, so many pods together cannot exhaust the agent's file descriptors.
 *
 * @param perSource open connections one source IP may hold
 * @param total open connections the agent holds in all
 */
public record ConnectionLimits(int perSource, int total) {
  /**
   * SDKs hold one or two keep-alive connections each, but a pod may run many processes or a client
   * pool (a web server with 64 workers, a load test at -c64, a JVM with several SDK clients): 256
   * leaves such a pod four times that, and is still an eighth of the total, so one flooding pod
   * cannot take the node's table.
   */
  public static final int DEFAULT_PER_SOURCE = 256;

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
