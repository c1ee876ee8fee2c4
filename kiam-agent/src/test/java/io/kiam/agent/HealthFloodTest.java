package io.kiam.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiam.agent.client.ServerClient;
import io.kiam.agent.http.ConnectionLimits;
import io.kiam.agent.iptables.CommandResult;
import io.kiam.agent.iptables.CommandRunner;
import io.kiam.common.logging.LogFormat;
import io.kiam.common.tls.TlsFiles;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A flood of {@code /health} over real HTTP against a real agent that manages its iptables rule:
 * iptables runs one process at a time, and at most once per second of flood, not once per request.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HealthFloodTest {
  private static final int REQUESTS = 400;

  /** iptables that takes a little while and remembers how many ran at once. */
  private static final class CountingIptables implements CommandRunner {
    final AtomicInteger checks = new AtomicInteger();
    final AtomicInteger running = new AtomicInteger();
    final AtomicInteger mostAtOnce = new AtomicInteger();

    @Override
    public CommandResult run(List<String> command, Duration timeout) throws InterruptedException {
      int now = running.incrementAndGet();
      mostAtOnce.accumulateAndGet(now, Math::max);
      try {
        if (command.contains("-C")) {
          checks.incrementAndGet();
        }
        Thread.sleep(5);
        return new CommandResult(0, "", "");
      } finally {
        running.decrementAndGet();
      }
    }
  }

  private static final class HealthyServers implements ServerClient {
    final AtomicInteger asked = new AtomicInteger();

    @Override
    public CompletableFuture<io.kiam.agent.client.PodRole> podRole(String ip) {
      return CompletableFuture.failedFuture(new UnsupportedOperationException("health only"));
    }

    @Override
    public CompletableFuture<io.kiam.agent.client.PodCredentials> podCredentials(
        String ip, String role) {
      return CompletableFuture.failedFuture(new UnsupportedOperationException("health only"));
    }

    @Override
    public CompletableFuture<Boolean> healthy() {
      asked.incrementAndGet();
      return CompletableFuture.completedFuture(true);
    }

    @Override
    public void close() {}
  }

  private static int freePort() throws java.io.IOException {
    try (java.net.ServerSocket probe =
        new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return probe.getLocalPort();
    }
  }

  @Test
  void aFloodOfHealthProbesRunsIptablesAtMostOncePerSecondAndOneAtATime() throws Exception {
    CountingIptables iptables = new CountingIptables();
    HealthyServers servers = new HealthyServers();
    Path unused = Path.of("/nonexistent");
    AgentConfig config =
        new AgentConfig(
            freePort(),
            Optional.of(InetAddress.getLoopbackAddress()),
            List.of("cali+", "eni+"),
            true,
            false,
            "kiam-server:9610",
            Duration.ofMillis(800),
            new TlsFiles(unused, unused, unused),
            Optional.empty(),
            URI.create("http://127.0.0.1:9"),
            false,
            Optional.empty(),
            LogFormat.TEXT,
            "info");
    Agent agent =
        Agent.builder(config)
            .serverClient(servers)
            .commandRunner(iptables)
            .registry(new PrometheusRegistry())
            .startupWait(Duration.ZERO)
            // Every probe has its own connection from 127.0.0.1; this test is about /health, not
            // the per-source connection limit (ConnectionFloodTest's).
            .connectionLimits(new ConnectionLimits(REQUESTS, REQUESTS))
            .build();
    ExecutorService pods = Executors.newFixedThreadPool(16);
    try {
      agent.start();
      URI health = URI.create("http://127.0.0.1:" + agent.address().getPort() + "/health");
      HttpClient http = HttpClient.newBuilder().executor(pods).build();
      int checksBefore = iptables.checks.get();
      int serverCallsBefore = servers.asked.get();

      long start = System.nanoTime();
      List<CompletableFuture<HttpResponse<String>>> flood = new ArrayList<>();
      for (int i = 0; i < REQUESTS; i++) {
        flood.add(
            http.sendAsync(
                HttpRequest.newBuilder(health).build(), HttpResponse.BodyHandlers.ofString()));
      }
      CompletableFuture.allOf(flood.toArray(CompletableFuture[]::new)).get(50, TimeUnit.SECONDS);
      long elapsed = System.nanoTime() - start;

      // Each check after the first needs its predecessor's answer to be a second old, and one
      // check runs iptables once per interface.
      long checksAllowed = (1 + elapsed / Duration.ofSeconds(1).toNanos()) * 2;
      int checks = iptables.checks.get() - checksBefore;
      assertTrue(
          checks <= checksAllowed,
          checks + " iptables checks for " + REQUESTS + " probes in " + elapsed / 1_000_000 + "ms");
      assertTrue(
          servers.asked.get() - serverCallsBefore <= checksAllowed / 2,
          "server health asked " + (servers.asked.get() - serverCallsBefore) + " times");
      for (CompletableFuture<HttpResponse<String>> answer : flood) {
        assertEquals(200, answer.get().statusCode(), answer.get().body());
      }
      assertEquals(1, iptables.mostAtOnce.get(), "iptables processes at once");
    } finally {
      agent.close();
      pods.shutdownNow();
    }
  }
}
