package io.kiam.e2e.node;

import io.kiam.e2e.net.NodeNetwork;
import io.kiam.e2e.net.RunNames;
import io.kiam.e2e.process.ManagedProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records which process owns each run prefix, so that a later run can remove what a crashed run
 * left behind (its namespaces, veths and JVMs) without touching runs still alive.
 */
public final class RunRegistry {
  private static final Logger log = LoggerFactory.getLogger(RunRegistry.class);
  private static final Path DIR = Path.of("/run/kiam-e2e");

  private RunRegistry() {}

  /** Marks the prefix as owned by this JVM. */
  public static void register(RunNames names) {
    try {
      Files.createDirectories(DIR);
      Files.writeString(ownerFile(names), Long.toString(ProcessHandle.current().pid()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot record the run in " + DIR, e);
    }
  }

  public static void unregister(RunNames names) {
    try {
      Files.deleteIfExists(ownerFile(names));
    } catch (IOException e) {
      log.atWarn().addKeyValue("run", names.prefix()).log("cannot remove owner file", e);
    }
  }

  /**
   * Records that the run starts containers (with this containers.conf, or null), so that their
   * removal is part of removing the run.
   */
  static void registerContainers(RunNames names, Path containersConf) {
    try {
      Files.createDirectories(DIR);
      Files.writeString(
          containersFile(names), containersConf == null ? "" : containersConf.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot record the run's containers in " + DIR, e);
    }
  }

  /**
   * Removes every trace of the run: its containers, its JVMs (found by their marker), namespaces
   * and veths.
   */
  public static void removeEverything(RunNames names) {
    Path containers = containersFile(names);
    if (Files.exists(containers)) {
      try {
        String conf = Files.readString(containers).strip();
        DaemonImages.removeContainers(names, conf.isEmpty() ? null : Path.of(conf));
        Files.deleteIfExists(containers);
      } catch (IOException e) {
        log.atWarn().addKeyValue("run", names.prefix()).log("cannot remove containers", e);
      }
    }
    ManagedProcess.killMarked(names.processMarker());
    NodeNetwork.destroy(names);
    unregister(names);
  }

  /** Removes the leftovers of test runs whose owner process is gone. */
  public static void sweepDeadTestRuns() {
    if (!Files.isDirectory(DIR)) {
      return;
    }
    try (Stream<Path> files = Files.list(DIR)) {
      for (Path file : files.toList()) {
        String prefix = file.getFileName().toString().replaceFirst("\\.owner$", "");
        if (RunNames.isTestRunPrefix(prefix) && !ownerAlive(file)) {
          log.atInfo().addKeyValue("run", prefix).log("removing leftovers of a crashed run");
          removeEverything(new RunNames(prefix));
        }
      }
    } catch (IOException e) {
      log.atWarn().log("cannot list {}", DIR, e);
    }
  }

  private static boolean ownerAlive(Path file) {
    try {
      long pid = Long.parseLong(Files.readString(file).strip());
      return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    } catch (IOException | NumberFormatException e) {
      return false;
    }
  }

  private static Path containersFile(RunNames names) {
    return DIR.resolve(names.prefix() + ".containers");
  }

  private static Path ownerFile(RunNames names) {
    return DIR.resolve(names.prefix() + ".owner");
  }
}
