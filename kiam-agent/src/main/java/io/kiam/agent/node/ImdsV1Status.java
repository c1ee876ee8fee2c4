package io.kiam.agent.node;

/** What the node's own metadata service does with a request that carries no IMDSv2 token. */
public enum ImdsV1Status {
  /** It answers: IMDSv1 is on, so anything that escapes the agent's rule reaches the node. */
  OPEN(1),
  /** It refuses with 401: IMDSv2 is required (http-tokens=required). */
  REQUIRES_TOKEN(0),
  /** The check got no usable answer (unreachable, timeout, another status). */
  UNKNOWN(-1);

  private final int gaugeValue;

  ImdsV1Status(int gaugeValue) {
    this.gaugeValue = gaugeValue;
  }

  /** The value of {@code kiam_agent_node_imdsv1_open}. */
  public int gaugeValue() {
    return gaugeValue;
  }
}
