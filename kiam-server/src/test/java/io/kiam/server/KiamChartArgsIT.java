package io.kiam.server;

import static io.kiam.server.testing.TestPods.namespace;
import static io.kiam.server.testing.TestPods.running;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.kiam.common.cli.KiamCli;
import io.kiam.common.logging.LogFormat;
import io.kiam.common.tls.ReloadingTls;
import io.kiam.common.tls.TlsFiles;
import io.kiam.proto.v1.Credentials;
import io.kiam.proto.v1.GetPodCredentialsRequest;
import io.kiam.proto.v1.KiamServiceGrpc;
import io.kiam.server.testing.MockApiCleanup;
import io.kiam.testkit.metrics.Exposition;
import io.kiam.testkit.pki.TestPki;
import io.kiam.testkit.sts.StsEndpoint;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * kiam-server started with the argument list uswitch/kiam's chart renders
 * (helm/kiam/templates/server-deployment.yaml), every other kiam v4 server flag passed as the
 * chart's extraArgs would, and probed with the chart's own {@code health} arguments: it starts,
 * serves a pod over mutual TLS, and answers the probe.
 */
@EnableKubernetesMockClient(crud = true)
@Timeout(90)
class KiamChartArgsIT {
  KubernetesMockServer mock;
  KubernetesClient client;

  @TempDir Path dir;
  private StsEndpoint sts;
  private KiamServer server;
  private ManagedChannel channel;

  @BeforeEach
  void start() {
    sts = StsEndpoint.builder().role("shop-web").start();
    System.setProperty("aws.accessKeyId", sts.baseCredentials().get(0).accessKeyId());
    System.setProperty("aws.secretAccessKey", sts.baseCredentials().get(0).secretAccessKey());
    client.namespaces().resource(namespace("shop", "shop-.*")).create();
  }

  @AfterEach
  void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    MockApiCleanup.deleteAllBeforeClosing(client, server);
    if (server != null) {
      server.close();
    }
    sts.close();
    System.clearProperty("aws.accessKeyId");
    System.clearProperty("aws.secretAccessKey");
  }

  private Path kubeconfig() throws Exception {
    String yaml =
        String.join(
            "\n",
            "apiVersion: v1",
            "kind: Config",
            "clusters:",
            "- name: mock",
            "  cluster:",
            "    server: " + client.getConfiguration().getMasterUrl(),
            "    insecure-skip-tls-verify: true",
            "users:",
            "- name: test",
            "  user:",
            "    token: test-token",
            "contexts:",
            "- name: mock",
            "  context:",
            "    cluster: mock",
            "    user: test",
            "current-context: mock",
            "");
    return Files.writeString(dir.resolve("kubeconfig"), yaml);
  }

  /** The chart's server args (JSON logs and scraping on), ports free, then its extraArgs. */
  private List<String> chartArgs(TlsFiles tls) throws Exception {
    List<String> args = new ArrayList<>();
    args.addAll(
        List.of(
            "--json-log",
            "--level=info",
            "--bind=127.0.0.1:0",
            "--cert=" + tls.cert(),
            "--key=" + tls.key(),
            "--ca=" + tls.ca(),
            "--role-base-arn=arn:aws:iam::" + sts.account() + ":role/",
            "--session-duration=15m",
            "--sync=1m",
            "--prometheus-listen-addr=127.0.0.1:0",
            "--prometheus-sync-interval=5s"));
    // extraArgs: where a cluster, an STS and the rest of kiam v4's server flags come from
    args.addAll(
        List.of(
            "--kubeconfig=" + kubeconfig(),
            "--region=eu-west-1",
            "--sts-endpoint=" + sts.uri(),
            "--fetchers=4",
            "--prefetch-buffer-size=1000",
            "--grpc-keepalive-time-duration=10s",
            "--grpc-keepalive-timeout-duration=2s",
            "--grpc-max-connection-idle-duration=0s",
            "--grpc-max-connection-age-duration=0s",
            "--grpc-max-connection-age-grace-duration=0s",
            "--pprof-listen-addr=127.0.0.1:0"));
    return args;
  }

  /** One name of kiam's docs/METRICS.md: its type, label names, and whether this test feeds it. */
  record KiamMetric(String name, String type, List<String> labels, boolean exercised) {}

  static final List<KiamMetric> KIAM_SERVER_METRICS =
      List.of(
          new KiamMetric("kiam_sts_cache_hit_total", "counter", List.of(), true),
          new KiamMetric("kiam_sts_cache_miss_total", "counter", List.of(), true),
          new KiamMetric("kiam_sts_issuing_errors_total", "counter", List.of(), true),
          new KiamMetric("kiam_sts_assumerole_timing_milliseconds", "histogram", List.of(), true),
          new KiamMetric("kiam_sts_assumerole_current", "gauge", List.of(), true),
          new KiamMetric("kiam_k8s_dropped_pods_total", "counter", List.of(), true),
          new KiamMetric(
              "grpc_server_started_total",
              "counter",
              List.of("grpc_type", "grpc_service", "grpc_method"),
              true),
          new KiamMetric(
              "grpc_server_handled_total",
              "counter",
              List.of("grpc_type", "grpc_service", "grpc_method", "grpc_code"),
              true),
          new KiamMetric(
              "grpc_server_msg_received_total",
              "counter",
              List.of("grpc_type", "grpc_service", "grpc_method"),
              true),
          new KiamMetric(
              "grpc_server_msg_sent_total",
              "counter",
              List.of("grpc_type", "grpc_service", "grpc_method"),
              true));

  @Test
  void chartArgumentsStartAServerThatServesAndPassesTheChartsProbe() throws Exception {
    TestPki pki = TestPki.create(dir.resolve("pki"));
    TlsFiles serverTls = pki.issueServer("kiam-server", List.of("127.0.0.1"));
    TlsFiles agentFiles = pki.issueClient("kiam-agent");
    ServerCommand command = new ServerCommand();
    KiamCli.commandLine("kiam-server", command)
        .parseArgs(chartArgs(serverTls).toArray(String[]::new));
    ServerConfig config = command.config();
    ServerTuning tuning = command.tuning();
    assertEquals(LogFormat.JSON, config.logFormat());
    assertEquals(Duration.ofMinutes(1), tuning.resync());
    assertEquals(Duration.ofSeconds(10), tuning.grpc().keepAliveTime());
    assertTrue(tuning.grpc().maxConnectionAge().isPresent(), "0s keeps our connection age");
    assertTrue(tuning.anchoredNamespaces());

    server = ServerCommand.production(config, tuning, Optional.of(4));
    server.start();
    server.synced().get(30, TimeUnit.SECONDS);
    client
        .pods()
        .inNamespace("shop")
        .resource(running("shop", "web", "10.5.0.1", "shop-web"))
        .create();
    sts.awaitAssumeRoleCalls("shop-web", 1, Duration.ofSeconds(20));

    ReloadingTls agentTls = ReloadingTls.load(agentFiles);
    try {
      channel =
          NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort())
              .sslContext(agentTls.grpcClientContext())
              .build();
      Credentials credentials =
          KiamServiceGrpc.newBlockingStub(channel)
              .withDeadlineAfter(20, TimeUnit.SECONDS)
              .getPodCredentials(
                  GetPodCredentialsRequest.newBuilder()
                      .setIp("10.5.0.1")
                      .setRole("shop-web")
                      .build())
              .getCredentials();
      assertFalse(credentials.getAccessKeyId().isEmpty());
    } finally {
      agentTls.close();
    }

    // kiam's metric names (its docs/METRICS.md) beside ours, as a scrape of /metrics shows them.
    Exposition scraped =
        Exposition.scrape(URI.create("http://127.0.0.1:" + server.metricsPort() + "/metrics"));
    for (KiamMetric metric : KIAM_SERVER_METRICS) {
      // A labelled family nothing fed yet is absent from a scrape, in kiam's Go client too.
      Optional<String> type = scraped.type(metric.name());
      if (metric.exercised() || type.isPresent()) {
        assertEquals(Optional.of(metric.type()), type, metric.name() + " in:\n" + scraped.text());
      }
      Set<Set<String>> labels = scraped.labelNames(metric.name(), metric.type());
      if (metric.exercised()) {
        assertFalse(labels.isEmpty(), metric.name() + " has no sample:\n" + scraped.text());
      }
      for (Set<String> names : labels) {
        assertEquals(new TreeSet<>(metric.labels()), names, metric.name());
      }
    }

    // The chart's liveness and readiness probe, as `kiam health` was called.
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = KiamCli.commandLine("kiam-server", new ServerCommand());
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int exit =
        cli.execute(
            "health",
            "--cert=" + agentFiles.cert(),
            "--key=" + agentFiles.key(),
            "--ca=" + agentFiles.ca(),
            "--server-address=127.0.0.1:" + server.grpcPort(),
            "--server-address-refresh=2s",
            "--timeout=5s",
            "--gateway-timeout-creation=1s");
    assertEquals(0, exit, err.toString());
    assertEquals("SERVING", out.toString().trim());
  }
}
