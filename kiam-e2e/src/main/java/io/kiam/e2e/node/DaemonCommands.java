package io.kiam.e2e.node;

import io.kiam.common.tls.TlsFiles;
import io.kiam.e2e.cluster.MockCluster;
import io.kiam.e2e.net.AddressPlan;
import io.kiam.e2e.net.NodeNetwork;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The command lines of the node's JVMs, with the flags the real daemons take; with the chart's JVM
 * settings, the daemons' JVMs are configured as the chart configures them on a node.
 */
final class DaemonCommands {
  /** The name the agent finds every server under, as a headless Service's DNS name. */
  static final String SERVER_NAME = "kiam-server";

  /** The server image's user (the chart's runAsUser). */
  static final int SERVER_IMAGE_UID = 65532;

  private final NodeOptions options;
  private final AddressPlan plan;

  DaemonCommands(NodeOptions options, AddressPlan plan) {
    this.options = options;
    this.plan = plan;
  }

  List<String> server(int index, TlsFiles tls, String kubeconfig, StsHandle sts) {
    List<String> jvm =
        options.chartJvm() == null
            ? java("-XX:+UseSerialGC", "-Xmx256m")
            : chartJava(chart().server());
    // the chart's default: the server in the node's host network finds its account itself
    List<String> command = options.serversInNode() ? inNode(jvm) : jvm;
    command.addAll(List.of("-jar", options.serverJar().toString()));
    command.addAll(serverArgs(index, tls, kubeconfig, sts));
    return command;
  }

  /** kiam-server's own arguments (what follows -jar JAR, or the image). */
  List<String> serverArgs(int index, TlsFiles tls, String kubeconfig, StsHandle sts) {
    String address = plan.serverAddress(index);
    List<String> command =
        new ArrayList<>(
            List.of("--bind", address + ":" + NodePorts.SERVER_GRPC, "--kubeconfig", kubeconfig));
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

  /**
   * kiam-server from its image: on the machine's network (it binds the lab's server addresses, as
   * the jar does), as the image's non-root user, its files copied for that user.
   *
   * @param environment what the JVM would find in its environment (passed by name)
   */
  List<String> serverInImage(
      int index, TlsFiles tls, Path kubeconfig, StsHandle sts, Map<String, String> environment) {
    String dir = DaemonImages.FILES + "/server";
    Map<Path, String> files = new LinkedHashMap<>();
    files.put(tls.cert(), dir + "/tls.crt");
    files.put(tls.key(), dir + "/tls.key");
    files.put(tls.ca(), dir + "/ca.crt");
    files.put(kubeconfig, dir + "/kubeconfig");
    Map<Path, String> mounts =
        DaemonImages.copyForUser(
            options.workDir().resolve("image-files").resolve("server-" + index),
            SERVER_IMAGE_UID,
            files);
    TlsFiles inside =
        new TlsFiles(Path.of(dir, "tls.crt"), Path.of(dir, "tls.key"), Path.of(dir, "ca.crt"));
    return DaemonImages.run(
        options.names(),
        serverContainer(index),
        List.of("--network=host"),
        mounts,
        passed(environment),
        memory(options.chartJvm() == null ? null : chart().server()),
        options.images().server(),
        serverArgs(index, inside, dir + "/kubeconfig", sts));
  }

  static String serverContainer(int index) {
    return "kiam-server-" + (index + 1);
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
    command.addAll(List.of("-jar", options.agentJar().toString()));
    command.addAll(agentArgs(tls));
    return command;
  }

  /** kiam-agent's own arguments (what follows -jar JAR, or the image). */
  List<String> agentArgs(TlsFiles tls) {
    List<String> command =
        new ArrayList<>(
            List.of(
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

  /**
   * kiam-agent from its image, as the chart runs it: in the node's network namespace (podman {@code
   * --network ns:}), root with only NET_ADMIN and NET_RAW, its iptables picking the node's back
   * end. The node's /etc/hosts (where kiam-server resolves to every server) is mounted as `ip netns
   * exec` mounts it.
   */
  List<String> agentInImage(TlsFiles tls, Map<String, String> environment) {
    String dir = DaemonImages.FILES + "/agent";
    String node = options.names().nodeNamespace();
    Map<Path, String> mounts = new LinkedHashMap<>();
    mounts.put(tls.cert(), dir + "/tls.crt");
    mounts.put(tls.key(), dir + "/tls.key");
    mounts.put(tls.ca(), dir + "/ca.crt");
    mounts.put(Path.of("/etc/netns", node, "hosts"), "/etc/hosts");
    TlsFiles inside =
        new TlsFiles(Path.of(dir, "tls.crt"), Path.of(dir, "tls.key"), Path.of(dir, "ca.crt"));
    return DaemonImages.run(
        options.names(),
        AGENT_CONTAINER,
        List.of("--network=ns:/var/run/netns/" + node, "--cap-add=NET_ADMIN", "--cap-add=NET_RAW"),
        mounts,
        passed(environment),
        memory(options.chartJvm() == null ? null : chart().agent()),
        options.images().agent(),
        agentArgs(inside));
  }

  static final String AGENT_CONTAINER = "kiam-agent";

  /** The names of the environment a container gets (PATH and HOME are the image's own). */
  private static List<String> passed(Map<String, String> environment) {
    return environment.keySet().stream()
        .filter(name -> !name.equals("PATH") && !name.equals("HOME"))
        .filter(name -> !name.equals("CONTAINERS_CONF"))
        .toList();
  }

  /** The chart's memory limit as podman --memory, read back from the -XX:MaxRAM stand-in. */
  private static long memory(ChartJvm.Daemon daemon) {
    if (daemon == null || daemon.maxRamFlag() == null) {
      return 0;
    }
    return Long.parseLong(daemon.maxRamFlag().substring("-XX:MaxRAM=".length()));
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
