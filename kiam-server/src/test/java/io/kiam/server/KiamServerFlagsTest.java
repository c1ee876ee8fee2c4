package io.kiam.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.kiam.common.cli.KiamCli;
import io.kiam.common.compat.KiamFlag;
import io.kiam.common.compat.KiamFlags;
import io.kiam.common.tls.TlsFiles;
import io.kiam.server.k8s.NamespaceInfo;
import io.kiam.testkit.pki.TestPki;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/** kiam v4's server and health flags: each accepted, mapped or named in one warning. */
class KiamServerFlagsTest {
  @TempDir static Path dir;
  private static TlsFiles tls;
  private final ListAppender<ILoggingEvent> captured = new ListAppender<>();
  private final Logger flagsLog = (Logger) LoggerFactory.getLogger(KiamFlags.class);
  private final Logger serverFlagsLog = (Logger) LoggerFactory.getLogger(KiamServerFlags.class);

  @BeforeAll
  static void pki() {
    tls = TestPki.create(dir.resolve("pki")).issueServer("kiam-server", List.of("localhost"));
  }

  @BeforeEach
  void capture() {
    captured.start();
    flagsLog.addAppender(captured);
    serverFlagsLog.addAppender(captured);
  }

  @AfterEach
  void release() {
    flagsLog.detachAppender(captured);
    serverFlagsLog.detachAppender(captured);
  }

  private static ServerCommand parse(String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--cert=" + tls.cert(),
                "--key=" + tls.key(),
                "--ca=" + tls.ca(),
                "--role-base-arn=arn:aws:iam::123456789012:role/"));
    args.addAll(List.of(more));
    ServerCommand command = new ServerCommand();
    KiamCli.commandLine("kiam-server", command).parseArgs(args.toArray(String[]::new));
    return command;
  }

  private static final String[] EVERY_KIAM_FLAG = {
    "--json-log",
    "--fetchers=3",
    "--prefetch-buffer-size=1000",
    "--sync=2m",
    "--disable-strict-namespace-regexp",
    "--grpc-keepalive-time-duration=20s",
    "--grpc-keepalive-timeout-duration=3s",
    "--grpc-max-connection-idle-duration=1h",
    "--grpc-max-connection-age-duration=10m",
    "--grpc-max-connection-age-grace-duration=5s",
    "--prometheus-sync-interval=5s",
    "--pprof-listen-addr=localhost:9990"
  };

  @Test
  void everyKiamServerFlagMapsToItsSetting() {
    ServerCommand command = parse(EVERY_KIAM_FLAG);

    ServerTuning tuning = command.tuning();
    assertEquals(io.kiam.common.logging.LogFormat.JSON, command.config().logFormat());
    assertEquals(Optional.of(3), command.kiam.fetchers());
    assertEquals(Duration.ofMinutes(2), tuning.resync());
    assertFalse(tuning.anchoredNamespaces());
    assertEquals(Duration.ofSeconds(20), tuning.grpc().keepAliveTime());
    assertEquals(Duration.ofSeconds(3), tuning.grpc().keepAliveTimeout());
    assertEquals(Optional.of(Duration.ofHours(1)), tuning.grpc().maxConnectionIdle());
    assertEquals(Optional.of(Duration.ofMinutes(10)), tuning.grpc().maxConnectionAge());
    assertEquals(Duration.ofSeconds(5), tuning.grpc().maxConnectionAgeGrace());
  }

  @Test
  void withoutKiamFlagsTheDefaultsAreOurs() {
    ServerCommand command = parse();

    assertEquals(ServerTuning.defaults(), command.tuning());
    assertEquals(Optional.empty(), command.kiam.fetchers());
    command.kiam.warn();
    assertTrue(captured.list.isEmpty());
  }

  @Test
  void eachIgnoredFlagIsNamedInOneWarningAndUnanchoringLoudly() {
    parse(EVERY_KIAM_FLAG).kiam.warn();

    List<String> ignored = new ArrayList<>();
    for (KiamFlag flag : KiamServerFlags.TABLE) {
      if (flag.fate() == KiamFlag.Fate.IGNORED) {
        ignored.add(flag.name());
      }
    }
    List<String> named =
        captured.list.stream().map(e -> e.getKeyValuePairs().get(0).value.toString()).toList();
    List<String> expected = new ArrayList<>(ignored);
    expected.add("--disable-strict-namespace-regexp");
    assertEquals(expected, named);
    assertTrue(captured.list.stream().allMatch(e -> e.getLevel() == Level.WARN));
    assertTrue(
        captured.list.get(captured.list.size() - 1).getFormattedMessage().contains("ANYWHERE"));
  }

  @Test
  void badKiamValuesExitTwoNamingTheFlag() {
    StringWriter err = new StringWriter();
    CommandLine cli = KiamCli.commandLine("kiam-server", new ServerCommand());
    cli.setErr(new PrintWriter(err));
    cli.setOut(new PrintWriter(new StringWriter()));
    int code =
        cli.execute(
            "--cert=" + tls.cert(),
            "--key=" + tls.key(),
            "--ca=" + tls.ca(),
            "--role-base-arn=arn:aws:iam::123456789012:role/",
            "--grpc-keepalive-time-duration=0s");

    assertEquals(KiamCli.USAGE, code);
    assertTrue(err.toString().contains("--grpc-keepalive-time-duration"), err.toString());
  }

  @Test
  void strictMatchesTheWholeRoleAndDisabledMatchesAnywhere() {
    NamespaceInfo strict = NamespaceInfo.of("shop", "shop", "1");
    NamespaceInfo loose = strict.unanchored();

    assertTrue(strict.permits("shop"));
    assertFalse(strict.permits("shop-admin"));
    assertTrue(loose.permits("shop-admin"));
    assertTrue(loose.permits("workshop"));
    assertFalse(loose.permits("billing"));
    // alternation stays inside the expression: 'a|b' does not become '.*a|b.*' alone
    assertFalse(NamespaceInfo.of("x", "^a|b$", "1").unanchored().permits("ca-b-c"));
    assertTrue(NamespaceInfo.of("x", "^a|b$", "1").unanchored().permits("ab"));
  }

  @Test
  void healthAcceptsKiamsProbeFlags() {
    CommandLine cli = KiamCli.commandLine("kiam-server", new ServerCommand());
    CommandLine.ParseResult parsed =
        cli.parseArgs(
            "health",
            "--cert=c",
            "--key=k",
            "--ca=a",
            "--server-address=127.0.0.1:443",
            "--server-address-refresh=2s",
            "--timeout=5s",
            "--gateway-timeout-creation=1s",
            "--grpc-keepalive-time-duration=10s",
            "--grpc-keepalive-timeout-duration=2s",
            "--grpc-keepalive-permit-without-stream",
            "--json-log",
            "--level=info");
    assertTrue(parsed.hasSubcommand());
  }
}
