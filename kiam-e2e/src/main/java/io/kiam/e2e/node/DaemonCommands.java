package io.kiam.e2e.node;

import io.kiam.common.tls.TlsFiles;
import io.kiam.e2e.cluster.MockCluster;
import io.kiam.e2e.net.AddressPlan;
import io.kiam.e2e.net.NodeNetwork;
import java.util.ArrayList;
import java.util.List;

/** The command lines of the node's JVMs, with the flags the real daemons take. */
final class DaemonCommands {
  private final NodeOptions options;
  private final AddressPlan plan;

  DaemonCommands(NodeOptions options, AddressPlan plan) {
    this.options = options;
    this.plan = plan;
  }

  List<String> server(TlsFiles tls, String kubeconfig, StsHandle sts) {
    List<String> command = java("-Xmx256m");
    command.addAll(
        List.of(
            "-jar",
            options.serverJar().toString(),
            "--bind",
            plan.hostAddress() + ":" + NodePorts.SERVER_GRPC,
            "--kubeconfig",
            kubeconfig,
            "--role-base-arn",
            "arn:aws:iam::" + sts.accountId() + ":role/",
            "--region",
            sts.region(),
            "--sts-endpoint",
            sts.url(),
            "--prometheus-listen-addr",
            plan.hostAddress() + ":" + NodePorts.SERVER_METRICS,
            "--log-format",
            "text"));
    command.addAll(tlsFlags(tls));
    return command;
  }

  List<String> agent(TlsFiles tls) {
    List<String> command = inNode(java("-Xmx128m"));
    command.addAll(
        List.of(
            "-jar",
            options.agentJar().toString(),
            "--port",
            Integer.toString(NodePorts.AGENT_HTTP),
            "--host",
            plan.nodeAddress(),
            "--host-interface",
            options.names().podInterfacePrefix() + "+",
            "--iptables",
            "--server-address",
            plan.hostAddress() + ":" + NodePorts.SERVER_GRPC,
            "--metadata-endpoint",
            "http://" + NodeNetwork.METADATA_ADDRESS,
            // The servers stream this node's pods to the agent, as the chart's NODE_NAME does.
            "--node-name",
            MockCluster.NODE_NAME,
            "--log-format",
            "text"));
    command.addAll(tlsFlags(tls));
    return command;
  }

  List<String> metadataStandIn() {
    List<String> command = inNode(java("-Xmx64m", "-XX:TieredStopAtLevel=1"));
    command.addAll(
        List.of(
            "-cp",
            options.harnessJar().toString(),
            "io.kiam.e2e.metadata.MetadataStandInMain",
            NodeNetwork.METADATA_ADDRESS,
            Integer.toString(NodePorts.METADATA)));
    return command;
  }

  /** Both daemons take their mutual-TLS files the same way. */
  private static List<String> tlsFlags(TlsFiles tls) {
    return List.of(
        "--cert",
        tls.cert().toString(),
        "--key",
        tls.key().toString(),
        "--ca",
        tls.ca().toString());
  }

  private List<String> inNode(List<String> command) {
    List<String> full =
        new ArrayList<>(List.of("ip", "netns", "exec", options.names().nodeNamespace()));
    full.addAll(command);
    return full;
  }

  private List<String> java(String... jvmOptions) {
    List<String> command = new ArrayList<>();
    command.add(options.java().toString());
    command.add(options.names().processMarker());
    command.add("-XX:+UseSerialGC");
    command.add("-Xshare:auto");
    command.addAll(List.of(jvmOptions));
    return command;
  }
}
