package io.kiam.agent.iptables;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs commands with {@link ProcessBuilder}, optionally behind a prefix such as {@code ip netns
 * exec NS} (tests run iptables inside a network namespace they made; the daemon uses no prefix).
 */
public final class ProcessRunner implements CommandRunner {
  private final List<String> prefix;

  /** Runs commands as they are. */
  public ProcessRunner() {
    this(List.of());
  }

  /** Runs every command behind {@code prefix}, e.g. {@code [ip, netns, exec, kiamt-1]}. */
  public ProcessRunner(List<String> prefix) {
    this.prefix = List.copyOf(prefix);
  }

  @Override
  public CommandResult run(List<String> command, Duration timeout)
      throws IOException, TimeoutException, InterruptedException {
    List<String> full = new ArrayList<>(prefix);
    full.addAll(command);
    Process process = new ProcessBuilder(full).start();
    // Nothing is written to the command; closing stdin makes any read end at once.
    process.getOutputStream().close();
    // Both pipes are drained at once so that a chatty command cannot block on a full pipe.
    CompletableFuture<String> out = drain(process.getInputStream());
    CompletableFuture<String> err = drain(process.getErrorStream());
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new TimeoutException(String.join(" ", full) + " did not finish within " + timeout);
    }
    try {
      // A child that left the pipes open to a grandchild must not hang us either.
      return new CommandResult(
          process.exitValue(),
          out.get(timeout.toMillis(), TimeUnit.MILLISECONDS),
          err.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
    } catch (ExecutionException e) {
      throw new IOException("cannot read the output of " + String.join(" ", full), e.getCause());
    }
  }

  private static CompletableFuture<String> drain(InputStream stream) {
    CompletableFuture<String> result = new CompletableFuture<>();
    Thread reader =
        new Thread(
            () -> {
              try (stream) {
                result.complete(new String(stream.readAllBytes(), StandardCharsets.UTF_8));
              } catch (IOException e) {
                result.completeExceptionally(new UncheckedIOException(e));
              }
            },
            "process-output");
    reader.setDaemon(true);
    reader.start();
    return result;
  }
}
