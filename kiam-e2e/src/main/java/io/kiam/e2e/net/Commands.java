package io.kiam.e2e.net;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs short system commands (ip, iptables) to completion, failing with their stderr. */
public final class Commands {
  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  private Commands() {}

  /** What a finished command printed and returned. */
  public record Result(int exitCode, String stdout, String stderr) {
    public boolean ok() {
      return exitCode == 0;
    }
  }

  /** Runs the command and fails unless it exits 0. */
  public static String run(String... command) {
    Result result = runQuietly(command);
    if (!result.ok()) {
      throw new IllegalStateException(
          "command failed (exit "
              + result.exitCode()
              + "): "
              + String.join(" ", command)
              + ": "
              + result.stderr().strip());
    }
    return result.stdout();
  }

  /** Runs the command and returns its result whatever the exit code: for idempotent clean-up. */
  public static Result runQuietly(String... command) {
    ProcessBuilder builder = new ProcessBuilder(List.of(command));
    try {
      Process process = builder.start();
      process.getOutputStream().close();
      // both streams are small for these commands; read stderr on a thread so neither can block
      var stderr =
          java.util.concurrent.CompletableFuture.supplyAsync(
              () -> readAll(process.getErrorStream()));
      String stdout = readAll(process.getInputStream());
      if (!process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException("command timed out: " + String.join(" ", command));
      }
      return new Result(process.exitValue(), stdout, stderr.join());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + command[0], e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + String.join(" ", command), e);
    }
  }

  /** True when the program is in one of the system directories root's PATH holds. */
  public static boolean available(String program) {
    for (String dir :
        List.of("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")) {
      if (java.nio.file.Files.isExecutable(java.nio.file.Path.of(dir, program))) {
        return true;
      }
    }
    return false;
  }

  private static String readAll(java.io.InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
