package io.kiam.e2e.node;

import io.kiam.common.tls.TlsFiles;
import io.kiam.e2e.cluster.MockCluster;
import io.kiam.e2e.net.AddressPlan;
import io.kiam.e2e.net.NodeNetwork;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The command lines of the node's JVMs, with the flags the real daemons take; with the chart's JVM
 * settings, the daemons' JVMs are configured as the chart configures them on a node.
 */
final class DaemonCommands {
  /** The name the agent finds every server under, as a headless Service's DNS name. */
  static final String SERVER_NAME = "kiam-server";

  private final NodeOptions options;
  private final AddressPlan plan;

  DaemonCommands(NodeOptions options, AddressPlan plan) {
    this.options = options;
    this.plan = plan;
  }

  List<String> server(int index, TlsFiles tls, String kubeconfig, StsHandle sts) {
    String address = plan.serverAddress(index);
    List<String> jvm =
        options.chartJvm() == null
            ? java("-XX:+UseSerialGC", "-Xmx256m")
            : chartJava(chart().server());
    // the chart's default: the server in the node's host network finds its account itself
    List<String> command = options.serversInNode() ? inNode(jvm) : jvm;
    command.addAll(
        List.of(
            "-jar",
            options.serverJar().toString(),
            "--bind",
            address + ":" + NodePorts.SERVER_GRPC,
            "--kubeconfig",
            kubeconfig));
    if (options.serversInNode()) {
      command.add("--role-base-arn-autodetect");
    } else {
      command.addAll(List.of("--role-base-arn", "arn:aws:iam::" + sts.accountId() + ":role/"));
    }
    command.addAll(
        List.of(
            "--region",
            sts.region(),
            "--sts-endpoint",
            sts.url(),
            "--prometheus-listen-addr",
            address + ":" + NodePorts.SERVER_METRICS,
            "--log-format",
            "text"));
    command.addAll(tlsFlags(tls));
    command.addAll(options.serverFlags());
    return command;
  }

  /** What the server's JVM finds in its environment besides the base: the chart's settings. */
  Map<String, String> serverEnvironment() {
    return options.chartJvm() == null ? Map.of() : chart().server().environment();
  }

  Map<String, String> agentEnvironment() {
    return options.chartJvm() == null ? Map.of() : chart().agent().environment();
  }

  List<String> agent(TlsFiles tls) {
    List<String> command =
        inNode(
            options.chartJvm() == null
                ? java("-XX:+UseSerialGC", "-Xmx128m")
                : chartJava(chart().agent()));
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
            SERVER_NAME + ":" + NodePorts.SERVER_GRPC,
            "--metadata-endpoint",
            "http://" + NodeNetwork.METADATA_ADDRESS,
            // The servers stream this node's pods to the agent, as the chart's NODE_NAME does.
            "--node-name",
            MockCluster.NODE_NAME,
            "--log-format",
            "text"));
    command.addAll(tlsFlags(tls));
    command.addAll(options.agentFlags());
    return command;
  }

  List<String> metadataStandIn() {
    List<String> command = inNode(java("-XX:+UseSerialGC", "-Xmx64m", "-XX:TieredStopAtLevel=1"));
    command.addAll(
        List.of(
            "-cp",
            options.harnessJar().toString(),
            "io.kiam.e2e.metadata.MetadataStandInMain",
            NodeNetwork.METADATA_ADDRESS,
            Integer.toString(NodePorts.METADATA),
            options.metadataMode().name().toLowerCase(java.util.Locale.ROOT)));
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
    command.add("-Xshare:auto");
    command.addAll(List.of(jvmOptions));
    return command;
  }

  /** The chart's flags arrive in JAVA_TOOL_OPTIONS; the command line adds only the limit. */
  private List<String> chartJava(ChartJvm.Daemon daemon) {
    return daemon.maxRamFlag() == null ? java() : java(daemon.maxRamFlag());
  }

  private ChartJvm chart() {
    return options.chartJvm();
  }
}
