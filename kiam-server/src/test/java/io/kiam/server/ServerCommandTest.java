package io.kiam.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiam.common.cli.KiamCli;
import io.kiam.common.tls.TlsFiles;
import io.kiam.testkit.pki.TestPki;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** The command line: help, defaults, and one clear line with exit 2 for each bad value. */
class ServerCommandTest {
  @TempDir static Path dir;
  private static TlsFiles tls;

  @BeforeAll
  static void pki() {
    tls = TestPki.create(dir.resolve("pki")).issueServer("kiam-server", List.of("localhost"));
  }

  /** What a run printed and returned. */
  record Run(int exit, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = KiamCli.commandLine("kiam-server", new ServerCommand());
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int exit = cli.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  private static List<String> valid(String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--cert", tls.cert().toString(),
                "--key", tls.key().toString(),
                "--ca", tls.ca().toString(),
                "--role-base-arn", "arn:aws:iam::123456789012:role/"));
    args.addAll(List.of(more));
    return args;
  }

  private static ServerConfig config(String... more) {
    ServerCommand command = new ServerCommand();
    KiamCli.commandLine("kiam-server", command).parseArgs(valid(more).toArray(String[]::new));
    return command.config();
  }

  @Test
  void helpListsTheFlagsAndExitsZero() {
    Run run = run("--help");

    assertEquals(0, run.exit());
    for (String flag :
        List.of(
            "--bind",
            "--kubeconfig",
            "--cert",
            "--key",
            "--ca",
            "--role-base-arn",
            "--role-base-arn-autodetect",
            "--assume-role-arn",
            "--region",
            "--sts-endpoint",
            "--sts-rate",
            "--sts-burst",
            "--watch-stale-after",
            "--session",
            "--session-duration",
            "--session-refresh",
            "--pod-wait",
            "--prometheus-listen-addr",
            "--log-format",
            "--level",
            "health",
            "explain")) {
      assertTrue(run.out().contains(flag), "help mentions " + flag);
    }
  }

  @Test
  void defaultsMatchTheIssue() {
    ServerConfig config = config();

    assertEquals("0.0.0.0", config.bind().getHostString());
    assertEquals(9610, config.bind().getPort());
    assertEquals(Duration.ofMinutes(60), config.sessionDuration());
    assertEquals(Duration.ofMinutes(30), config.sessionRefresh());
    assertEquals(Duration.ofMillis(300), config.podWait());
    assertEquals("kiam", config.session());
    assertTrue(config.assumeRoleArn().isEmpty(), "empty --assume-role-arn means unset");
    assertTrue(config.prometheusListen().isEmpty());
    assertEquals(50.0, config.stsPacing().perSecond());
    assertEquals(100, config.stsPacing().burst());
    assertEquals(Duration.ofMinutes(1), config.watchStaleAfter());
  }

  @Test
  void zeroTurnsTheStaleViewRefusalOff() {
    assertEquals(Duration.ZERO, config("--watch-stale-after", "0s").watchStaleAfter());
  }

  @Test
  void stsRateAndBurstReachTheConfig() {
    ServerConfig config = config("--sts-rate", "2.5", "--sts-burst", "5");
    assertEquals(2.5, config.stsPacing().perSecond());
    assertEquals(5, config.stsPacing().burst());
  }

  @Test
  void healthPortIsOffUnlessGiven() {
    assertTrue(config().healthListen().isEmpty());
    InetSocketAddress health =
        config("--health-listen-addr", "0.0.0.0:9611").healthListen().orElseThrow();
    assertEquals(9611, health.getPort());
  }

  @Test
  void refreshDefaultFitsAShortSession() {
    assertEquals(Duration.ofMinutes(10), config("--session-duration", "20m").sessionRefresh());
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
    "--session-duration, 10m, --session-duration",
    "--session-duration, 13h, --session-duration",
    "--session-duration, soon, soon",
    "--session-refresh, 60m, --session-refresh",
    "--pod-wait, 2s, --pod-wait",
    "--bind, nonsense, nonsense",
    "--role-base-arn, arn:aws:s3:::bucket, --role-base-arn",
    "--assume-role-arn, not-an-arn, --assume-role-arn",
    "--region, Mars, --region",
    "--sts-endpoint, ftp://sts.example, --sts-endpoint",
    "--sts-rate, 0, --sts-rate",
    "--sts-burst, 0, --sts-burst",
    "--watch-stale-after, 2s, --watch-stale-after",
    "--log-format, xml, xml",
    "--level, loud, --level",
    "--session, 'bad name', --session",
    "--role-base-arn-autodetect, '', exactly one",
  })
  void badValueEndsWithOneClearLineAndExitTwo(String flag, String value, String mentioned) {
    List<String> args = valid();
    if (!flag.equals("--role-base-arn")) {
      args.add(flag);
      if (!value.isEmpty()) {
        args.add(value);
      }
    } else {
      args.set(args.indexOf("--role-base-arn") + 1, value);
    }

    Run run = run(args.toArray(String[]::new));

    assertEquals(2, run.exit(), run.err());
    assertEquals(1, run.err().strip().lines().count(), "one line: " + run.err());
    assertTrue(run.err().startsWith("kiam-server: "), run.err());
    assertTrue(run.err().contains(mentioned), run.err());
  }

  @Test
  void missingTlsFilesAreABadCommandLine() {
    Run run = run("--role-base-arn", "arn:aws:iam::123456789012:role/");

    assertEquals(2, run.exit());
    assertTrue(run.err().contains("--cert, --key and --ca are required"), run.err());
  }

  @Test
  void unreadableCertificateIsNamed() {
    List<String> args = valid();
    args.set(args.indexOf("--cert") + 1, dir.resolve("missing.crt").toString());

    Run run = run(args.toArray(String[]::new));

    assertEquals(2, run.exit());
    assertTrue(run.err().contains("--cert") && run.err().contains("missing.crt"), run.err());
  }

  @Test
  void unknownFlagIsABadCommandLine() {
    Run run = run("--no-such-flag");

    assertEquals(2, run.exit());
    assertEquals(1, run.err().strip().lines().count(), run.err());
  }
}
