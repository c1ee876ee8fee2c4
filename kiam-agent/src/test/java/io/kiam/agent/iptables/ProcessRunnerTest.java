package io.kiam.agent.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Real processes: exit code, both outputs, the timeout, and a program that is not there. */
@Timeout(20)
class ProcessRunnerTest {
  @Test
  void capturesExitCodeAndBothOutputs() throws Exception {
    CommandResult result =
        new ProcessRunner()
            .run(List.of("sh", "-c", "echo out; echo err >&2; exit 3"), Duration.ofSeconds(10));
    assertEquals(new CommandResult(3, "out\n", "err\n"), result);
  }

  @Test
  void runsBehindAPrefix() throws Exception {
    CommandResult result =
        new ProcessRunner(List.of("env", "KIAM_TEST=prefixed"))
            .run(List.of("sh", "-c", "echo $KIAM_TEST"), Duration.ofSeconds(10));
    assertEquals("prefixed\n", result.stdout());
  }

  @Test
  void killsACommandThatOverrunsItsTimeout() {
    long start = System.nanoTime();
    assertThrows(
        TimeoutException.class,
        () -> new ProcessRunner().run(List.of("sleep", "30"), Duration.ofMillis(300)));
    assertTrue(System.nanoTime() - start < Duration.ofSeconds(10).toNanos());
  }

  @Test
  void aProgramNotOnThePathIsAnIoException() {
    assertThrows(
        IOException.class,
        () -> new ProcessRunner().run(List.of("kiamt-no-such-program"), Duration.ofSeconds(5)));
  }

  @Test
  void iptablesMissingFromThePathIsReportedAsSuch() throws Exception {
    // Nothing runs: the program does not exist.
    IptablesRules rules =
        new IptablesRules(
            List.of(HostInterface.parse("cali+")),
            InetAddress.getByName("192.0.2.1"),
            8181,
            new ProcessRunner(),
            "kiamt-no-iptables");
    IptablesException e = assertThrows(IptablesException.class, rules::checkUsable);
    assertEquals(
        "kiamt-no-iptables not found in PATH: install iptables or run without --iptables",
        e.getMessage());
  }
}
