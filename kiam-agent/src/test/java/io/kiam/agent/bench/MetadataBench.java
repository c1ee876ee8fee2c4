package io.kiam.agent.bench;

import io.kiam.agent.Agent;
import io.kiam.agent.AgentConfig;
import io.kiam.agent.imds.CredentialsJson;
import io.kiam.agent.testing.FakeKiamServer;
import io.kiam.agent.testing.ProgrammableBackend;
import io.kiam.common.logging.LogFormat;
import io.kiam.common.logging.Logging;
import io.kiam.common.tls.TlsFiles;
import io.kiam.testkit.pki.TestPki;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Credential requests per second and latency at N keep-alive connections: the agent (with an
 * instant in-process backend) next to a bare Netty server returning the same bytes, in one run.
 * Load from wrk (Debian package {@code wrk}). Not a test: run it by hand.
 *
 * <pre>
 * mvn -B -q -o -pl kiam-agent test-compile exec:java -Dexec.classpathScope=test \
 *   -Dexec.mainClass=io.kiam.agent.bench.MetadataBench -Dexec.args="10 64 info"
 * </pre>
 *
 * Arguments: seconds per measurement (default 10), connections (64), agent log level (info: the
 * access log on, as shipped; warn: off), backend ({@code instant}: answers from memory in-process;
 * {@code grpc}: the real gRPC client with mutual TLS to the fake kiam-server in the same JVM).
 */
public final class MetadataBench {
  private static final String PATH = "/latest/meta-data/iam/security-credentials/shop-reader";
  private static final Pattern RPS = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
  private static final Pattern PERCENTILE =
      Pattern.compile("^\\s+(50|99)%\\s+([0-9.]+)(us|ms|s)\\s*$", Pattern.MULTILINE);

  private MetadataBench() {}

  record Result(double rps, double p50Millis, double p99Millis) {}

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int connections = args.length > 1 ? Integer.parseInt(args[1]) : 64;
    String level = args.length > 2 ? args[2] : "info";
    boolean grpc = args.length > 3 && args[3].equals("grpc");
    Logging.configure(LogFormat.TEXT, level);
    FakeKiamServer kiamServer = null;
    if (grpc) {
      ProgrammableBackend backend =
          new ProgrammableBackend().pod("127.0.0.1", "shop", "web-1", InstantServers.ROLE);
      kiamServer =
          FakeKiamServer.start(TestPki.create(Files.createTempDirectory("kiam-bench")), backend);
    }

    byte[] body = CredentialsJson.write(InstantServers.credentials(), false);
    Path unused = Path.of("/nonexistent");
    AgentConfig config =
        new AgentConfig(
            0,
            Optional.of(InetAddress.getLoopbackAddress()),
            List.of(),
            false,
            false,
            grpc ? kiamServer.target() : "127.0.0.1:9610",
            AgentConfig.DEFAULT_SERVER_TIMEOUT,
            grpc ? kiamServer.clientTls() : new TlsFiles(unused, unused, unused),
            Optional.empty(),
            URI.create("http://127.0.0.1:9"),
            false,
            Optional.empty(),
            LogFormat.TEXT,
            level,
            Optional.empty(),
            AgentConfig.DEFAULT_DISCONNECTED_GRACE);
    // wrk's connections all come from 127.0.0.1: lift the per-source limit above them.
    Agent.Builder builder =
        Agent.builder(config)
            .registry(new PrometheusRegistry())
            .connectionLimits(
                new io.kiam.agent.http.ConnectionLimits(
                    Math.max(connections, io.kiam.agent.http.ConnectionLimits.DEFAULT_PER_SOURCE),
                    Math.max(connections, io.kiam.agent.http.ConnectionLimits.DEFAULT_TOTAL)));
    if (!grpc) {
      builder.serverClient(new InstantServers());
    }
    Agent agent = builder.build();
    agent.start();
    try (BareNettyServer bare = new BareNettyServer(body, 2)) {
      String agentUrl = "http://127.0.0.1:" + agent.address().getPort() + PATH;
      String bareUrl = "http://127.0.0.1:" + bare.port() + PATH;
      wrk(bareUrl, 3, connections);
      wrk(agentUrl, 3, connections);
      Result floor = wrk(bareUrl, seconds, connections);
      Result measured = wrk(agentUrl, seconds, connections);
      System.out.printf(
          Locale.ROOT,
          "%n%d connections, %d s each, agent log level %s, backend %s, body %d bytes%n",
          connections,
          seconds,
          level,
          grpc ? "gRPC+mTLS in-process" : "instant in-process",
          body.length);
      System.out.printf(Locale.ROOT, "%-12s %12s %10s %10s%n", "", "req/s", "p50 ms", "p99 ms");
      print("bare netty", floor);
      print("kiam-agent", measured);
      System.out.printf(
          Locale.ROOT, "agent/bare throughput ratio: %.2f%n", measured.rps / floor.rps);
    } finally {
      agent.close();
      if (kiamServer != null) {
        kiamServer.close();
      }
    }
  }

  private static void print(String name, Result r) {
    System.out.printf(
        Locale.ROOT, "%-12s %12.0f %10.2f %10.2f%n", name, r.rps, r.p50Millis, r.p99Millis);
  }

  static Result wrk(String url, int seconds, int connections)
      throws IOException, InterruptedException {
    Process wrk =
        new ProcessBuilder(
                "wrk",
                "-t2",
                "-c" + connections,
                "-d" + seconds + "s",
                "--latency",
                "--timeout",
                "5s",
                url)
            .redirectErrorStream(true)
            .start();
    String out;
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(wrk.getInputStream(), StandardCharsets.UTF_8))) {
      out = String.join("\n", reader.lines().toList());
    }
    if (wrk.waitFor() != 0) {
      throw new IllegalStateException("wrk failed:\n" + out);
    }
    if (out.contains("Non-2xx")) {
      throw new IllegalStateException("non-2xx answers under load:\n" + out);
    }
    Matcher rps = RPS.matcher(out);
    if (!rps.find()) {
      throw new IllegalStateException("no Requests/sec in wrk output:\n" + out);
    }
    double p50 = Double.NaN;
    double p99 = Double.NaN;
    Matcher p = PERCENTILE.matcher(out);
    while (p.find()) {
      double millis = toMillis(Double.parseDouble(p.group(2)), p.group(3));
      if (p.group(1).equals("50")) {
        p50 = millis;
      } else {
        p99 = millis;
      }
    }
    return new Result(Double.parseDouble(rps.group(1)), p50, p99);
  }

  private static double toMillis(double value, String unit) {
    return switch (unit) {
      case "us" -> value / 1000;
      case "s" -> value * 1000;
      default -> value;
    };
  }
}
