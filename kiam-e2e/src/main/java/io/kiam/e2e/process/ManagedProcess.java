package io.kiam.e2e.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A long-running child process (a daemon JVM) whose output goes to a log file and whose whole
 * process tree is ended on stop.
 */
public final class ManagedProcess implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ManagedProcess.class);
  private static final Duration GRACE = Duration.ofSeconds(5);

  private final String name;
  private final Process process;
  private final Path logFile;
  private final Container container;

  /**
   * The container a podman-run process runs in the foreground: signals go to the container, and a
   * kill or stop removes it too (killing the podman client alone would leave it running).
   *
   * @param podman the podman command (with its settings) to signal and remove the container with
   * @param name the container's name
   */
  public record Container(List<String> podman, String name) {
    public Container {
      podman = List.copyOf(podman);
    }

    void remove() {
      run("rm", "--force", "--time", "0", "--ignore", name);
    }

    boolean signal(String signal) {
      return run("kill", "--signal", signal, name);
    }

    private boolean run(String... args) {
      List<String> command = new java.util.ArrayList<>(podman);
      command.addAll(List.of(args));
      try {
        Process p =
            new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          return false;
        }
        return p.exitValue() == 0;
      } catch (IOException e) {
        log.atWarn().addKeyValue("container", name).log("cannot run podman", e);
        return false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
  }

  private ManagedProcess(String name, Process process, Path logFile, Container container) {
    this.name = name;
    this.process = process;
    this.logFile = logFile;
    this.container = container;
  }

  /** Starts the command with exactly the given environment (nothing inherited). */
  public static ManagedProcess start(
      String name, List<String> command, Map<String, String> environment, Path logFile) {
    return start(name, command, environment, logFile, null);
  }

  /**
   * As {@link #start(String, List, Map, Path)}, for a command that runs a container in the
   * foreground (podman run --rm --name ...): stop and kill remove the container as well.
   */
  public static ManagedProcess start(
      String name,
      List<String> command,
      Map<String, String> environment,
      Path logFile,
      Container container) {
    if (container != null) {
      container.remove(); // a crashed earlier run's container of the same name
    }
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().clear();
    builder.environment().putAll(environment);
    builder.redirectErrorStream(true);
    try {
      Files.createDirectories(logFile.getParent());
      builder.redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
      builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
      Process process = builder.start();
      log.atInfo()
          .addKeyValue("process", name)
          .addKeyValue("pid", process.pid())
          .addKeyValue("log", logFile)
          .log("started");
      return new ManagedProcess(name, process, logFile, container);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name + ": " + command.get(0), e);
    }
  }

  public String name() {
    return name;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public Path logFile() {
    return logFile;
  }

  /** The last lines of the log, for failure messages. */
  public String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(logFile, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** Asks the process to stop (SIGTERM, so shutdown hooks run), then kills what is left. */
  public void stop() {
    if (!process.isAlive()) {
      return;
    }
    List<ProcessHandle> descendants = process.descendants().toList();
    signal("CONT"); // a stopped (SIGSTOP) process would hold its SIGTERM until the grace ran out
    process.destroy();
    try {
      if (!process.waitFor(GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
        log.atWarn().addKeyValue("process", name).log("did not stop in time, killing");
        process.destroyForcibly();
        process.waitFor(GRACE.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    descendants.forEach(ProcessHandle::destroyForcibly);
    if (container != null) {
      container.remove();
    }
    log.atInfo().addKeyValue("process", name).addKeyValue("pid", process.pid()).log("stopped");
  }

  /** Kills at once, as a crash would: for tests of what happens when a daemon dies. */
  public void kill() {
    if (container != null) {
      container.signal("KILL"); // the daemon dies, not only the podman client
    }
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    try {
      process.waitFor(GRACE.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (container != null) {
      container.remove();
    }
  }

  /** Sends a signal by name (STOP, CONT, ...) to the process; false when it could not be sent. */
  public boolean signal(String name) {
    if (!process.isAlive()) {
      return false;
    }
    if (container != null) {
      return container.signal(name); // the daemon in the container, not the podman client
    }
    try {
      Process kill =
          new ProcessBuilder("kill", "-" + name, Long.toString(process.pid()))
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      return kill.waitFor(GRACE.toMillis(), TimeUnit.MILLISECONDS) && kill.exitValue() == 0;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot signal " + name, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** The process's resident memory in KiB (VmRSS), or -1 when it is gone. */
  public long rssKiB() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | NumberFormatException e) {
      // gone
    }
    return -1;
  }

  @Override
  public void close() {
    stop();
  }

  /** Kills every process whose command line carries the marker: leftovers of a crashed run. */
  public static void killMarked(String marker) {
    ProcessHandle self = ProcessHandle.current();
    ProcessHandle.allProcesses()
        .filter(handle -> handle.pid() != self.pid())
        .filter(
            handle ->
                handle.info().arguments().map(args -> List.of(args).contains(marker)).orElse(false))
        .forEach(
            handle -> {
              handle.descendants().forEach(ProcessHandle::destroyForcibly);
              handle.destroyForcibly();
            });
  }
}
