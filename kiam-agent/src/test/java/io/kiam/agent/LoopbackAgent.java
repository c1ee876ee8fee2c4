package io.kiam.agent;

import io.kiam.agent.testing.FakeKiamServer;
import io.kiam.common.logging.LogFormat;
import io.kiam.common.tls.TlsFiles;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/** A real agent on 127.0.0.1 (free port) talking gRPC with mutual TLS to a fake kiam-server. */
final class LoopbackAgent implements AutoCloseable {
  final PrometheusRegistry registry = new PrometheusRegistry();
  final Agent agent;

  private LoopbackAgent(AgentConfig config, Duration startupWait) {
    agent = Agent.builder(config).registry(registry).startupWait(startupWait).build();
    agent.start();
  }

  /** Options of the agent under test; the server address and TLS come from the fake server. */
  record Options(
      boolean requireImdsv2,
      Optional<Pattern> allowRoute,
      URI metadataEndpoint,
      Duration timeout,
      Optional<String> nodeName) {
    static Options defaults() {
      return new Options(
          false,
          Optional.empty(),
          URI.create("http://127.0.0.1:9"),
          Duration.ofMillis(800),
          Optional.empty());
    }

    Options requiringImdsv2() {
      return new Options(true, allowRoute, metadataEndpoint, timeout, nodeName);
    }

    Options proxying(String regex, URI upstream) {
      return new Options(
          requireImdsv2, Optional.of(Pattern.compile(regex)), upstream, timeout, nodeName);
    }

    /** The agent subscribes to this node's stream (and falls back if the server has none). */
    Options onNode(String name) {
      return new Options(requireImdsv2, allowRoute, metadataEndpoint, timeout, Optional.of(name));
    }
  }

  static LoopbackAgent start(FakeKiamServer server, Options options) {
    return start(server.target(), server.clientTls(), options);
  }

  /** An agent whose servers are not there: it starts listening at once. */
  static LoopbackAgent startWithoutServers(String serverAddress, TlsFiles tls) {
    return start(serverAddress, tls, Options.defaults(), Duration.ZERO);
  }

  static LoopbackAgent start(String serverAddress, TlsFiles tls, Options options) {
    return start(serverAddress, tls, options, Agent.STARTUP_WAIT);
  }

  private static LoopbackAgent start(
      String serverAddress, TlsFiles tls, Options options, Duration startupWait) {
    return new LoopbackAgent(
        new AgentConfig(
            0,
            Optional.of(InetAddress.getLoopbackAddress()),
            List.of(),
            false,
            false,
            serverAddress,
            options.timeout(),
            tls,
            options.allowRoute(),
            options.metadataEndpoint(),
            options.requireImdsv2(),
            Optional.empty(),
            LogFormat.TEXT,
            "info",
            options.nodeName(),
            AgentConfig.DEFAULT_DISCONNECTED_GRACE),
        startupWait);
  }

  /** http://127.0.0.1:PORT */
  String url() {
    return "http://127.0.0.1:" + agent.address().getPort();
  }

  /** Waits (10 s at most) until /health says a server answers: TLS handshakes are done. */
  void awaitHealthy() {
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (http.send(
                    java.net.http.HttpRequest.newBuilder(URI.create(url() + "/health")).build(),
                    java.net.http.HttpResponse.BodyHandlers.discarding())
                .statusCode()
            == 200) {
          return;
        }
        Thread.sleep(50);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    throw new AssertionError("agent at " + url() + " not healthy within 10 s");
  }

  double counter(String name, String... labels) {
    for (MetricSnapshot snapshot : registry.scrape()) {
      if (snapshot instanceof CounterSnapshot counter
          && counter.getMetadata().getPrometheusName().equals(name)) {
        return counter.getDataPoints().stream()
            .filter(p -> p.getLabels().equals(Labels.of(labels)))
            .mapToDouble(CounterSnapshot.CounterDataPointSnapshot::getValue)
            .sum();
      }
    }
    return 0;
  }

  @Override
  public void close() {
    agent.close();
  }
}
