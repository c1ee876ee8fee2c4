package io.kiam.e2e.node;

import io.kiam.e2e.metadata.MetadataStandIn;
import io.kiam.e2e.net.AddressPlan;
import io.kiam.e2e.net.RunNames;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * How to build one node: the run's names, where its files go, the jars to run, and how to get the
 * STS endpoint (a function of the machine-side address it may bind to).
 *
 * @param block the address block to use, or null for any free one
 * @param servers how many kiam-servers run (the agent finds them all under one name)
 * @param chartJvm the chart's JVM settings for the daemons, or null for small test JVMs
 * @param serverFlags extra flags for every kiam-server
 * @param agentFlags extra flags for kiam-agent
 * @param serversInNode run the servers as the chart does by default: in the node's host network,
 *     with their own credentials from the node's metadata service (the SDK's default chain) and
 *     --role-base-arn-autodetect; false runs them outside the node with the STS endpoint's keys
 * @param metadataMode how the node's metadata service (the stand-in) is set up
 * @param images the daemons' container images to run under podman instead of the jars, or null
 */
public record NodeOptions(
    RunNames names,
    Integer block,
    Path workDir,
    Path java,
    Path serverJar,
    Path agentJar,
    Path harnessJar,
    Function<String, StsHandle> sts,
    int servers,
    ChartJvm chartJvm,
    List<String> serverFlags,
    List<String> agentFlags,
    boolean serversInNode,
    MetadataStandIn.Mode metadataMode,
    DaemonImages images) {

  /** The daemons from their jars. */
  public NodeOptions(
      RunNames names,
      Integer block,
      Path workDir,
      Path java,
      Path serverJar,
      Path agentJar,
      Path harnessJar,
      Function<String, StsHandle> sts,
      int servers,
      ChartJvm chartJvm,
      List<String> serverFlags,
      List<String> agentFlags,
      boolean serversInNode,
      MetadataStandIn.Mode metadataMode) {
    this(
        names,
        block,
        workDir,
        java,
        serverJar,
        agentJar,
        harnessJar,
        sts,
        servers,
        chartJvm,
        serverFlags,
        agentFlags,
        serversInNode,
        metadataMode,
        null);
  }

  /** Servers outside the node, IMDSv1 open, the daemons from these images (null: the jars). */
  public NodeOptions(
      RunNames names,
      Integer block,
      Path workDir,
      Path java,
      Path serverJar,
      Path agentJar,
      Path harnessJar,
      Function<String, StsHandle> sts,
      int servers,
      ChartJvm chartJvm,
      List<String> serverFlags,
      List<String> agentFlags,
      DaemonImages images) {
    this(
        names,
        block,
        workDir,
        java,
        serverJar,
        agentJar,
        harnessJar,
        sts,
        servers,
        chartJvm,
        serverFlags,
        agentFlags,
        false,
        MetadataStandIn.Mode.OPEN,
        images);
  }

  /** The node's metadata service with IMDSv1 open. */
  public NodeOptions(
      RunNames names,
      Integer block,
      Path workDir,
      Path java,
      Path serverJar,
      Path agentJar,
      Path harnessJar,
      Function<String, StsHandle> sts,
      int servers,
      ChartJvm chartJvm,
      List<String> serverFlags,
      List<String> agentFlags,
      boolean serversInNode) {
    this(
        names,
        block,
        workDir,
        java,
        serverJar,
        agentJar,
        harnessJar,
        sts,
        servers,
        chartJvm,
        serverFlags,
        agentFlags,
        serversInNode,
        MetadataStandIn.Mode.OPEN);
  }

  /** The same node with its metadata service set up as {@code mode} says. */
  public NodeOptions withMetadataMode(MetadataStandIn.Mode mode) {
    return new NodeOptions(
        names,
        block,
        workDir,
        java,
        serverJar,
        agentJar,
        harnessJar,
        sts,
        servers,
        chartJvm,
        serverFlags,
        agentFlags,
        serversInNode,
        mode,
        images);
  }

  /** Servers outside the node, with the STS endpoint's keys. */
  public NodeOptions(
      RunNames names,
      Integer block,
      Path workDir,
      Path java,
      Path serverJar,
      Path agentJar,
      Path harnessJar,
      Function<String, StsHandle> sts,
      int servers,
      ChartJvm chartJvm,
      List<String> serverFlags,
      List<String> agentFlags) {
    this(
        names,
        block,
        workDir,
        java,
        serverJar,
        agentJar,
        harnessJar,
        sts,
        servers,
        chartJvm,
        serverFlags,
        agentFlags,
        false);
  }

  /** The same options with the daemons run from these images (null: from the jars). */
  public NodeOptions withImages(DaemonImages images) {
    return new NodeOptions(
        names,
        block,
        workDir,
        java,
        serverJar,
        agentJar,
        harnessJar,
        sts,
        servers,
        chartJvm,
        serverFlags,
        agentFlags,
        serversInNode,
        metadataMode,
        images);
  }

  /** The same node with its servers in the node's host network, as the chart places them. */
  public NodeOptions withServersInNode() {
    return new NodeOptions(
        names,
        block,
        workDir,
        java,
        serverJar,
        agentJar,
        harnessJar,
        sts,
        servers,
        chartJvm,
        serverFlags,
        agentFlags,
        true,
        metadataMode,
        images);
  }

  /** One server, small test JVMs, no extra flags. */
  public NodeOptions(
      RunNames names,
      Integer block,
      Path workDir,
      Path java,
      Path serverJar,
      Path agentJar,
      Path harnessJar,
      Function<String, StsHandle> sts) {
    this(
        names,
        block,
        workDir,
        java,
        serverJar,
        agentJar,
        harnessJar,
        sts,
        1,
        null,
        List.of(),
        List.of());
  }

  public NodeOptions {
    if (servers < 1 || servers > AddressPlan.MAX_SERVERS) {
      throw new IllegalArgumentException(
          "servers must be 1.." + AddressPlan.MAX_SERVERS + ", not " + servers);
    }
    if (serversInNode && images != null && images.server() != null) {
      // a server image runs in the machine's network (podman --network=host), not in the node
      throw new IllegalArgumentException("servers in the node run from the jar, not an image");
    }
    serverFlags = List.copyOf(serverFlags);
    agentFlags = List.copyOf(agentFlags);
    Objects.requireNonNull(names, "names");
    Objects.requireNonNull(workDir, "workDir");
    Objects.requireNonNull(sts, "sts");
    Objects.requireNonNull(metadataMode, "metadataMode");
    requireFile("java", java);
    requireFile("kiam-server jar (build it: mvn -B -q -DskipTests package)", serverJar);
    requireFile("kiam-agent jar (build it: mvn -B -q -DskipTests package)", agentJar);
    requireFile("kiam-e2e-all jar (build it: mvn -B -q -DskipTests package)", harnessJar);
  }

  private static void requireFile(String what, Path path) {
    if (path == null || !Files.isRegularFile(path)) {
      throw new IllegalArgumentException(what + ": no such file " + path);
    }
  }
}
