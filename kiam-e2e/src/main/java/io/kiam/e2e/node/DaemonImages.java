package io.kiam.e2e.node;

import io.kiam.e2e.net.RunNames;
import io.kiam.e2e.process.ManagedProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The daemons' container images (kiam-images), run under podman instead of the jars, with the
 * restrictions a cluster gives them: the agent in the node's network namespace with only NET_ADMIN
 * and NET_RAW, the server as its image's non-root user with no capabilities; both on a read-only
 * root filesystem. Files a daemon reads are mounted read-only under {@link #FILES}.
 *
 * @param server the kiam-server image (name or ID, loaded into podman), or null to run the jar
 * @param agent the kiam-agent image, or null to run the jar
 * @param containersConf podman's containers.conf (deploy/images/containers.conf), or null for
 *     podman's own
 */
public record DaemonImages(String server, String agent, Path containersConf) {
  /** Where a container finds the files mounted for it. */
  static final String FILES = "/etc/kiam";

  /** The label every container of a run carries, to remove a crashed run's containers. */
  static final String RUN_LABEL = "io.kiam.e2e.run";

  public DaemonImages {
    if (server == null && agent == null) {
      throw new IllegalArgumentException("name at least one image");
    }
    if (containersConf != null && !Files.isRegularFile(containersConf)) {
      throw new IllegalArgumentException("containers.conf: no such file " + containersConf);
    }
  }

  /** What podman's process needs in its environment besides the base. */
  Map<String, String> podmanEnvironment() {
    return containersConf == null ? Map.of() : Map.of("CONTAINERS_CONF", containersConf.toString());
  }

  /** The container's name for a daemon of this run: unique per run prefix. */
  static String containerName(RunNames names, String daemon) {
    return names.prefix() + "-" + daemon;
  }

  ManagedProcess.Container container(RunNames names, String daemon) {
    // podman takes its settings from the environment
    List<String> command = new ArrayList<>();
    if (containersConf != null) {
      command.addAll(List.of("env", "CONTAINERS_CONF=" + containersConf));
    }
    command.add("podman");
    return new ManagedProcess.Container(command, containerName(names, daemon));
  }

  /**
   * podman run, in the foreground (so the podman process lives as long as the daemon and forwards
   * SIGTERM to it), removed when it ends.
   *
   * @param environment names whose values podman passes from its own environment (never on the
   *     command line: they may hold credentials)
   * @param memoryBytes the chart's memory limit, or 0 for none
   */
  static List<String> run(
      RunNames names,
      String daemon,
      List<String> isolation,
      Map<Path, String> mounts,
      Iterable<String> environment,
      long memoryBytes,
      String image,
      List<String> args) {
    List<String> command =
        new ArrayList<>(
            List.of(
                "podman",
                "run",
                "--rm",
                "--name",
                containerName(names, daemon),
                "--label",
                RUN_LABEL + "=" + names.prefix(),
                "--read-only",
                "--security-opt=no-new-privileges",
                "--cap-drop=ALL"));
    command.addAll(isolation);
    if (memoryBytes > 0) {
      command.add("--memory=" + memoryBytes);
    }
    mounts.forEach(
        (host, inside) -> command.addAll(List.of("--volume", host + ":" + inside + ":ro")));
    for (String name : environment) {
      command.addAll(List.of("--env", name));
    }
    command.add(Objects.requireNonNull(image, "image"));
    command.addAll(args);
    return command;
  }

  /**
   * Copies files for the server's non-root user (uid 65532, as the chart's runAsUser) into dir,
   * readable by it alone, and returns host copy -> path in the container.
   */
  static Map<Path, String> copyForUser(Path dir, int uid, Map<Path, String> files) {
    Map<Path, String> mounts = new java.util.LinkedHashMap<>();
    try {
      Files.createDirectories(dir);
      for (Map.Entry<Path, String> file : files.entrySet()) {
        Path copy = dir.resolve(file.getKey().getFileName());
        Files.copy(file.getKey(), copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.setAttribute(copy, "unix:uid", uid);
        Files.setAttribute(copy, "unix:gid", uid);
        Files.setPosixFilePermissions(
            copy, java.nio.file.attribute.PosixFilePermissions.fromString("r--------"));
        mounts.put(copy, file.getValue());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy the server's files into " + dir, e);
    }
    return mounts;
  }

  /** Removes the containers a crashed run left (by their label); no-op without podman. */
  static void removeContainers(RunNames names, Path containersConf) {
    List<String> env = new ArrayList<>();
    if (containersConf != null) {
      env.addAll(List.of("env", "CONTAINERS_CONF=" + containersConf));
    }
    List<String> list = new ArrayList<>(env);
    list.addAll(
        List.of(
            "podman",
            "ps",
            "--all",
            "--quiet",
            "--filter",
            "label=" + RUN_LABEL + "=" + names.prefix()));
    try {
      Process ps = new ProcessBuilder(list).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      String ids = new String(ps.getInputStream().readAllBytes()).strip();
      ps.waitFor();
      if (ids.isEmpty()) {
        return;
      }
      List<String> rm = new ArrayList<>(env);
      rm.addAll(List.of("podman", "rm", "--force", "--time", "0"));
      rm.addAll(List.of(ids.split("\\s+")));
      new ProcessBuilder(rm)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start()
          .waitFor();
    } catch (IOException e) {
      // no podman: no containers to remove
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
