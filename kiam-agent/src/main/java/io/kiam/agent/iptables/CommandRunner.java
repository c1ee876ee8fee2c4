package io.kiam.agent.iptables;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeoutException;

/** Runs one external command to completion; the seam between the rules and the operating system. */
public interface CommandRunner {
  /**
   * Runs {@code command} (program first) and waits at most {@code timeout}.
   *
   * @throws IOException when the program cannot be started (for example, not on the PATH)
   * @throws TimeoutException when it did not finish in time (it has been killed)
   */
  CommandResult run(List<String> command, Duration timeout)
      throws IOException, TimeoutException, InterruptedException;
}
