package io.kiam.e2e.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs `./kiam-local` as a user does, in a subprocess, under a node name of its own: a prefix held
 * by a file lock for the test's lifetime (so parallel runs never share one) and a state directory
 * under target/.
 */
final class LocalScript implements AutoCloseable {
  private static final Path SCRIPT = Path.of("..", "kiam-local").toAbsolutePath().normalize();
  private static final String ALPHABET = "abcdefghijkmnopqrstuvwxyz0123456789";

  /** What one invocation printed and returned. */
  record Result(int exitCode, String stdout, String stderr) {
    boolean ok() {
      return exitCode == 0;
    }

    @Override
    public String toString() {
      return "exit " + exitCode + "\nstdout: " + stdout + "\nstderr: " + stderr;
    }
  }

  private final String prefix;
  private final Path state;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final Map<String, String> environment;

  private LocalScript(
      String prefix, Path state, FileChannel lockChannel, FileLock lock, Map<String, String> env) {
    this.prefix = prefix;
    this.state = state;
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.environment = env;
  }

  /** Claims a free node name kjlXY; the daemons' jars are those the build made. */
  static LocalScript claim(Path workDir, String serverJar, String agentJar) {
    for (int i = 0; i < ALPHABET.length() * ALPHABET.length(); i++) {
      int seed = (int) ((System.nanoTime() / 7 + i) % (ALPHABET.length() * ALPHABET.length()));
      String prefix =
          "kjl"
              + ALPHABET.charAt(seed / ALPHABET.length())
              + ALPHABET.charAt(seed % ALPHABET.length());
      try {
        Path lockDir = Files.isDirectory(Path.of("/run/lock")) ? Path.of("/run/lock") : workDir;
        FileChannel channel =
            FileChannel.open(
                lockDir.resolve("kiam-local-" + prefix + ".lock"),
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        FileLock lock = channel.tryLock();
        if (lock == null || Files.exists(Path.of("/run/netns", prefix + "-node"))) {
          if (lock != null) {
            lock.release();
          }
          channel.close();
          continue;
        }
        Path state = workDir.resolve("local-" + prefix);
        return new LocalScript(
            prefix,
            state,
            channel,
            lock,
            Map.of(
                "KIAM_LOCAL_PREFIX", prefix,
                "KIAM_LOCAL_STATE", state.toString(),
                "KIAM_SERVER_JAR", serverJar,
                "KIAM_AGENT_JAR", agentJar));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    throw new IllegalStateException("no free kiam-local node name");
  }

  String prefix() {
    return prefix;
  }

  Path state() {
    return state;
  }

  /** Runs `./kiam-local ARGS...` and waits for it (at most the timeout). */
  Result run(Duration timeout, String... args) {
    List<String> command = new ArrayList<>(List.of(SCRIPT.toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(SCRIPT.getParent().toFile());
    builder.environment().putAll(environment);
    try {
      Process process = builder.start();
      process.getOutputStream().close();
      CompletableFuture<String> stderr =
          CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
      CompletableFuture<String> stdout =
          CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        throw new IllegalStateException(
            "./kiam-local " + String.join(" ", args) + " did not finish within " + timeout);
      }
      return new Result(process.exitValue(), stdout.join(), stderr.join());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  Result run(String... args) {
    return run(Duration.ofMinutes(2), args);
  }

  /** `status --json`, parsed. */
  JsonNode status() {
    Result result = run("status", "--json");
    if (!result.ok()) {
      throw new AssertionError("status failed: " + result);
    }
    try {
      return new ObjectMapper().readTree(result.stdout());
    } catch (IOException e) {
      throw new AssertionError("status is not JSON: " + result, e);
    }
  }

  private static String read(java.io.InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    try {
      lock.release();
      lockChannel.close();
    } catch (IOException e) {
      // released with the process anyway
    }
  }
}
