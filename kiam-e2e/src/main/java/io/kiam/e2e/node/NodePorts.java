package io.kiam.e2e.node;

/** The fixed ports of a node; unique per run because every run has its own addresses. */
public final class NodePorts {
  public static final int SERVER_GRPC = 9610;
  public static final int SERVER_METRICS = 9620;
  public static final int AGENT_HTTP = 8181;
  public static final int API_SERVER = 6443;
  public static final int STS = 4566;
  public static final int METADATA = 80;

  private NodePorts() {}
}
