package io.kiam.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiam.common.cli.KiamCli;
import io.kiam.common.logging.LogFormat;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** The flags as kiam named them, their defaults, and one clear line (exit 2) for bad values. */
class AgentCommandTest {
  @TempDir Path dir;
  private List<String> tls;

  @BeforeEach
  void files() throws Exception {
    tls = new ArrayList<>();
    for (String name : List.of("cert", "key", "ca")) {
      Path file = Files.writeString(dir.resolve(name + ".pem"), "not used by these tests");
      tls.add("--" + name);
      tls.add(file.toString());
    }
  }

  private AgentConfig parse(String... flags) {
    AgentCommand command = new AgentCommand();
    List<String> args = new ArrayList<>(tls);
    args.addAll(List.of(flags));
    KiamCli.commandLine("kiam-agent", command).parseArgs(args.toArray(String[]::new));
    return command.config();
  }

  /** Runs the command line as main would, returning the exit code and stderr. */
  private String[] run(String... flags) {
    List<String> args = new ArrayList<>(tls);
    args.addAll(List.of(flags));
    StringWriter err = new StringWriter();
    StringWriter out = new StringWriter();
    CommandLine cli = KiamCli.commandLine("kiam-agent", new AgentCommand());
    cli.setErr(new PrintWriter(err));
    cli.setOut(new PrintWriter(out));
    int code = cli.execute(args.toArray(String[]::new));
    return new String[] {Integer.toString(code), err.toString(), out.toString()};
  }

  @Test
  void defaultsAreKiamsAndSafe() {
    AgentConfig config = parse();

    assertEquals(8181, config.port());
    assertEquals(List.of("cali+"), config.hostInterfaces());
    assertFalse(config.iptables());
    assertFalse(config.iptablesRemove(), "the rule stays on shutdown unless asked");
    assertEquals("dns:///kiam-server:9610", config.serverAddress());
    assertEquals(Duration.ofMillis(800), config.serverTimeout());
    assertTrue(config.allowRoute().isEmpty(), "nothing beyond credentials is proxied");
    assertEquals("http://169.254.169.254", config.metadataEndpoint().toString());
    assertFalse(config.requireImdsv2());
    assertTrue(config.prometheusListen().isEmpty());
    assertEquals(LogFormat.TEXT, config.logFormat());
    assertTrue(config.requestTimeout().compareTo(Duration.ofSeconds(1)) < 0);
    assertEquals(Duration.ofSeconds(60), config.disconnectedGrace());
  }

  @Test
  void everyFlagIsRead() throws Exception {
    AgentConfig config =
        parse(
            "--port",
            "8282",
            "--host",
            "10.0.0.5",
            "--host-interface",
            "eni+",
            "--host-interface",
            "!eth0",
            "--iptables",
            "--iptables-remove",
            "--server-address",
            "kiam-server.kiam.svc.cluster.local:9610",
            "--server-timeout",
            "500ms",
            "--allow-route-regexp",
            "/latest/meta-data/placement/.*",
            "--metadata-endpoint",
            "http://127.0.0.1:1338",
            "--require-imdsv2",
            "--prometheus-listen-addr",
            ":9620",
            "--log-format",
            "json",
            "--level",
            "debug",
            "--node-name",
            "ip-10-0-0-5.eu-west-1.compute.internal",
            "--disconnected-grace",
            "2m");

    assertEquals(8282, config.port());
    assertEquals(InetAddress.getByName("10.0.0.5"), config.host().orElseThrow());
    assertEquals(List.of("eni+", "!eth0"), config.hostInterfaces());
    assertTrue(config.iptables() && config.iptablesRemove() && config.requireImdsv2());
    assertEquals(Duration.ofMillis(500), config.serverTimeout());
    assertEquals("/latest/meta-data/placement/.*", config.allowRoute().orElseThrow().pattern());
    assertEquals(1338, config.metadataEndpoint().getPort());
    assertEquals(9620, config.prometheusListen().orElseThrow().getPort());
    assertEquals(LogFormat.JSON, config.logFormat());
    assertEquals("10.0.0.5", config.listenAddress().getAddress().getHostAddress());
    assertEquals("ip-10-0-0-5.eu-west-1.compute.internal", config.nodeName().orElseThrow());
    assertEquals(Duration.ofMinutes(2), config.disconnectedGrace());
  }

  @Test
  void aBlankNodeNameMeansNoStream() {
    assertTrue(parse("--node-name", " ").nodeName().isEmpty());
  }

  @Test
  void kiamsJsonLogFlagStillWorks() {
    assertEquals(LogFormat.JSON, parse("--json-log").logFormat());
  }

  @Test
  void withoutHostItListensEverywhere() {
    assertTrue(parse("--host", "").listenAddress().getAddress().isAnyLocalAddress());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "--port|70000|--port",
        "--port|http|--port",
        "--host|kiam.example.com|--host: 'kiam.example.com' is not an IP address",
        "--host-interface|eth0; rm -rf /|--host-interface",
        "--server-address|http://kiam:9610|--server-address",
        "--server-address|kiam:99999|--server-address",
        "--server-timeout|5 minutes|not a duration",
        "--server-timeout|1ms|--server-timeout: must be between 10ms and 30s",
        "--allow-route-regexp|/latest/(|--allow-route-regexp",
        "--metadata-endpoint|https://169.254.169.254|--metadata-endpoint",
        "--metadata-endpoint|http://169.254.169.254/latest|--metadata-endpoint",
        "--metadata-endpoint|not a url|--metadata-endpoint",
        "--log-format|xml|--log-format",
        "--level|loud|--level",
        "--prometheus-listen-addr|9620|--prometheus-listen-addr",
        "--node-name|Node_1|--node-name: 'Node_1' is not a Kubernetes node name",
        "--disconnected-grace|1h|--disconnected-grace: must be between 0s and 15m",
      })
  void badValuesEndWithOneClearLineAndExitCode2(String flag, String value, String expected) {
    String[] result = run(flag, value);

    assertEquals("2", result[0], result[1]);
    String err = result[1].strip();
    assertFalse(err.contains("\n"), "one line: " + err);
    assertTrue(err.startsWith("kiam-agent: "), err);
    assertTrue(err.contains(expected), err);
  }

  @Test
  void nodeImdsCheckRunsEveryFiveMinutesUnlessTurnedOff() {
    assertEquals(Duration.ofMinutes(5), parse().imdsCheckInterval());
    assertEquals(Duration.ZERO, parse("--imds-check-interval", "0").imdsCheckInterval());
    String[] tooOften = run("--imds-check-interval", "1s");
    assertEquals("2", tooOften[0]);
    assertTrue(tooOften[1].contains("--imds-check-interval"), tooOften[1]);
  }

  @Test
  void missingTlsFlagsAreABadCommandLine() {
    tls.clear();
    String[] result = run();
    assertEquals("2", result[0]);
    assertTrue(result[1].contains("--cert, --key and --ca are required"), result[1]);
  }

  @Test
  void iptablesNeedsTheNodesIpv4Address() {
    String[] missing = run("--iptables", "--host", "");
    String[] ipv6 = run("--iptables", "--host", "fd00::1");

    assertEquals("2", missing[0]);
    assertTrue(missing[1].contains("--iptables needs --host"), missing[1]);
    assertEquals("2", ipv6[0]);
  }

  @Test
  void missingTlsFileIsNamed() {
    tls.set(1, dir.resolve("absent.pem").toString());

    String[] result = run();

    assertEquals("2", result[0]);
    assertTrue(result[1].contains("--cert: cannot read"), result[1]);
  }

  @Test
  void helpListsTheFlags() {
    String[] result = run("--help");

    assertEquals("0", result[0]);
    for (String flag :
        List.of(
            "--port",
            "--host",
            "--host-interface",
            "--iptables",
            "--iptables-remove",
            "--server-address",
            "--server-timeout",
            "--allow-route-regexp",
            "--metadata-endpoint",
            "--require-imdsv2",
            "--prometheus-listen-addr",
            "--log-format",
            "--level",
            "--node-name",
            "--disconnected-grace")) {
      assertTrue(result[2].contains(flag), flag);
    }
  }
}
