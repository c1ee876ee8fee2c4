package io.kiam.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.kiam.agent.client.ClientSettings;
import io.kiam.agent.testing.FakeKiamServer;
import io.kiam.common.cli.KiamCli;
import io.kiam.common.compat.KiamFlag;
import io.kiam.common.compat.KiamFlags;
import io.kiam.proto.v1.GetPodCredentialsResponse;
import io.kiam.proto.v1.GetPodRoleResponse;
import io.kiam.proto.v1.PodRef;
import io.kiam.testkit.metrics.Exposition;
import io.kiam.testkit.pki.TestPki;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/** kiam v4's agent flags: its chart's argument list starts an agent that serves. */
@Timeout(60)
class KiamAgentFlagsTest {
  @TempDir Path dir;
  private final ListAppender<ILoggingEvent> captured = new ListAppender<>();
  private final Logger flagsLog = (Logger) LoggerFactory.getLogger(KiamFlags.class);

  @BeforeEach
  void capture() {
    captured.start();
    flagsLog.addAppender(captured);
  }

  @AfterEach
  void release() {
    flagsLog.detachAppender(captured);
  }

  /**
   * What uswitch/kiam's chart (helm/kiam/templates/agent-daemonset.yaml) renders with scraping,
   * JSON logs and the route expression on; --iptables is left out (it needs the host's network),
   * and the pod IP comes from --host rather than HOST_IP. Ports are free ones.
   */
  private static List<String> chartArgs(String serverAddress, Path cert, Path key, Path ca) {
    return List.of(
        "--no-iptables-remove",
        "--host-interface=cali+",
        "--json-log",
        "--level=info",
        "--port=0",
        "--cert=" + cert,
        "--key=" + key,
        "--ca=" + ca,
        "--server-address=" + serverAddress,
        "--prometheus-listen-addr=127.0.0.1:0",
        "--prometheus-sync-interval=5s",
        "--whitelist-route-regexp=/latest/meta-data/placement/.*",
        "--gateway-timeout-creation=1s",
        // kiam v4's agent flags the chart passes through extraArgs
        "--grpc-keepalive-time-duration=10s",
        "--grpc-keepalive-timeout-duration=2s",
        "--grpc-keepalive-permit-without-stream",
        "--server-address-refresh=0s",
        "--pprof-listen-addr=127.0.0.1:0",
        "--host=127.0.0.1");
  }

  /** One name of kiam's docs/METRICS.md: its type, label names, and whether this test feeds it. */
  record KiamMetric(String name, String type, List<String> labels, boolean exercised) {}

  static final List<KiamMetric> KIAM_AGENT_METRICS =
      List.of(
          new KiamMetric(
              "kiam_metadata_handler_latency_milliseconds", "histogram", List.of("handler"), true),
          new KiamMetric(
              "kiam_metadata_responses_total", "counter", List.of("handler", "code"), true),
          new KiamMetric("kiam_metadata_success_total", "counter", List.of("handler"), true),
          new KiamMetric("kiam_metadata_empty_role_total", "counter", List.of("handler"), false),
          new KiamMetric(
              "kiam_metadata_find_role_errors_total", "counter", List.of("handler"), false),
          new KiamMetric(
              "kiam_metadata_credential_fetch_errors_total", "counter", List.of("handler"), false),
          new KiamMetric(
              "kiam_metadata_credential_encode_errors_total", "counter", List.of("handler"), false),
          new KiamMetric("kiam_metadata_proxy_requests_blocked_total", "counter", List.of(), true),
          new KiamMetric(
              "grpc_client_started_total",
              "counter",
              List.of("grpc_type", "grpc_service", "grpc_method"),
              true),
          new KiamMetric(
              "grpc_client_handled_total",
              "counter",
              List.of("grpc_type", "grpc_service", "grpc_method", "grpc_code"),
              true),
          new KiamMetric(
              "grpc_client_msg_sent_total",
              "counter",
              List.of("grpc_type", "grpc_service", "grpc_method"),
              true),
          new KiamMetric(
              "grpc_client_msg_received_total",
              "counter",
              List.of("grpc_type", "grpc_service", "grpc_method"),
              true));

  private static AgentCommand parse(List<String> args) {
    AgentCommand command = new AgentCommand();
    KiamCli.commandLine("kiam-agent", command).parseArgs(args.toArray(String[]::new));
    return command;
  }

  @Test
  void chartArgumentsStartAnAgentThatServes() throws Exception {
    TestPki pki = TestPki.create(dir.resolve("pki"));
    FakeKiamServer.Backend backend =
        new FakeKiamServer.Backend() {
          @Override
          public GetPodRoleResponse podRole(String ip) {
            return GetPodRoleResponse.newBuilder()
                .setRole("shop-web")
                .setPod(PodRef.newBuilder().setNamespace("shop").setName("web"))
                .build();
          }

          @Override
          public GetPodCredentialsResponse podCredentials(String ip, String role) {
            throw io.grpc.Status.NOT_FOUND.asRuntimeException();
          }
        };
    try (FakeKiamServer server = FakeKiamServer.start(pki, backend)) {
      List<String> args =
          new ArrayList<>(
              chartArgs(
                  server.target(),
                  server.clientTls().cert(),
                  server.clientTls().key(),
                  server.clientTls().ca()));
      // This test asserts that the chart's flags give an agent that serves, not how fast: the
      // default 800 ms per call, against a fake server in a cold JVM on a loaded machine, turned
      // a slow first answer into a 503. The chart passes no --server-timeout, so ours changes
      // nothing the test checks.
      args.add("--server-timeout=20s");
      AgentCommand command = parse(args);
      AgentConfig config = command.config();
      assertEquals(Duration.ofSeconds(20), config.serverTimeout());
      assertEquals(io.kiam.common.logging.LogFormat.JSON, config.logFormat());
      assertFalse(config.iptablesRemove());
      assertTrue(config.allowRoute().isPresent());
      assertEquals(Duration.ofSeconds(1), command.kiam.startupWait().orElseThrow());
      ClientSettings tuned =
          command.kiam.clientSettings().apply(ClientSettings.defaults(server.target()));
      assertEquals(Duration.ofSeconds(10), tuned.keepAliveTime());
      assertEquals(Duration.ofSeconds(2), tuned.keepAliveTimeout());

      PrometheusRegistry registry = new PrometheusRegistry();
      Agent agent = command.builder(config).registry(registry).build();
      try {
        agent.start();
        HttpClient http = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + agent.address().getPort();
        HttpResponse<String> ping =
            http.send(
                HttpRequest.newBuilder(URI.create(base + "/ping")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, ping.statusCode());
        HttpResponse<String> role =
            http.send(
                HttpRequest.newBuilder(
                        URI.create(base + "/latest/meta-data/iam/security-credentials/"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, role.statusCode());
        assertEquals("shop-web", role.body().trim());

        // kiam's metric names (its docs/METRICS.md) beside ours, as the agent exposes them.
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(text, registry.scrape());
        Exposition scraped = Exposition.parse(text.toString(StandardCharsets.UTF_8));
        for (KiamMetric metric : KIAM_AGENT_METRICS) {
          // A labelled family nothing fed yet is absent from a scrape, in kiam's Go client too.
          Optional<String> type = scraped.type(metric.name());
          if (metric.exercised() || type.isPresent()) {
            assertEquals(
                Optional.of(metric.type()), type, metric.name() + " in:\n" + scraped.text());
          }
          Set<Set<String>> labels = scraped.labelNames(metric.name(), metric.type());
          if (metric.exercised()) {
            assertFalse(labels.isEmpty(), metric.name() + " has no sample:\n" + scraped.text());
          }
          for (Set<String> names : labels) {
            assertEquals(new TreeSet<>(metric.labels()), names, metric.name());
          }
        }
        assertTrue(
            scraped.text().contains("kiam_metadata_success_total{handler=\"roleName\"} 1"),
            scraped.text());
      } finally {
        agent.close();
      }
    }
  }

  @Test
  void eachIgnoredFlagGivenIsNamedInOneWarning() {
    AgentCommand command =
        parse(chartArgs("127.0.0.1:9610", dir.resolve("c"), dir.resolve("k"), dir.resolve("a")));
    command.kiam.warn();

    List<String> warned =
        captured.list.stream().map(e -> e.getKeyValuePairs().get(0).value.toString()).toList();
    List<String> expected = new ArrayList<>();
    for (KiamFlag flag : KiamAgentFlags.TABLE) {
      if (flag.fate() == KiamFlag.Fate.IGNORED) {
        expected.add(flag.name());
      }
    }
    assertEquals(expected, warned);
    for (ILoggingEvent event : captured.list) {
      assertEquals(ch.qos.logback.classic.Level.WARN, event.getLevel());
      assertTrue(event.getFormattedMessage().contains("ignored: "), event.getFormattedMessage());
    }
  }

  @Test
  void flagsNotGivenWarnNothing() {
    parse(List.of("--cert=c", "--key=k", "--ca=a")).kiam.warn();

    assertTrue(captured.list.isEmpty());
  }

  @Test
  void allowIpQueryIsRefusedWithExitTwoAndTheReason() {
    StringWriter err = new StringWriter();
    CommandLine cli = KiamCli.commandLine("kiam-agent", new AgentCommand());
    cli.setErr(new PrintWriter(err));
    cli.setOut(new PrintWriter(new StringWriter()));

    int code =
        cli.execute(
            "--cert=" + dir.resolve("c"),
            "--key=" + dir.resolve("k"),
            "--ca=" + dir.resolve("a"),
            "--allow-ip-query");

    assertEquals(KiamCli.USAGE, code);
    assertTrue(err.toString().contains("--allow-ip-query is refused"), err.toString());
    assertTrue(err.toString().contains("another pod's IP"), err.toString());
  }

  @Test
  void negatedKiamBooleansAreAccepted() {
    assertTrue(
        parse(List.of("--cert=c", "--key=k", "--ca=a", "--iptables-remove", "--no-allow-ip-query"))
            .config()
            .iptablesRemove());
    assertFalse(
        parse(List.of("--cert=c", "--key=k", "--ca=a", "--iptables-remove", "--no-iptables-remove"))
            .config()
            .iptablesRemove());
  }
}
