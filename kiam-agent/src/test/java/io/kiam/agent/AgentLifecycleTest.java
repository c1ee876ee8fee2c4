package io.kiam.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiam.agent.client.PodCredentials;
import io.kiam.agent.client.PodRole;
import io.kiam.agent.client.ServerClient;
import io.kiam.agent.client.ServerFailure;
import io.kiam.agent.iptables.CommandResult;
import io.kiam.agent.iptables.CommandRunner;
import io.kiam.common.logging.LogFormat;
import io.kiam.common.tls.TlsFiles;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The agent's start and stop: the DNAT rule before listening, kept on shutdown unless asked, a
 * clear failure when iptables is unusable, and a failed start undoing what it began.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AgentLifecycleTest {
  private final NatTable nat = new NatTable();
  private final HttpClient http = HttpClient.newHttpClient();

  /** An in-memory nat table behind the iptables command line (-C, -A, -D). */
  private static final class NatTable implements CommandRunner {
    final Set<String> rules = new LinkedHashSet<>();
    final List<String> commands = new ArrayList<>();
    volatile IOException missingBinary;

    @Override
    public synchronized CommandResult run(List<String> command, Duration timeout)
        throws IOException {
      if (missingBinary != null) {
        throw missingBinary;
      }
      int op = -1;
      String verb = "";
      for (String v : List.of("-C", "-A", "-D")) {
        if (command.contains(v)) {
          verb = v;
          op = command.indexOf(v);
        }
      }
      String rule = String.join(" ", command.subList(op + 1, command.size()));
      commands.add(verb + " " + rule);
      switch (verb) {
        case "-C" -> {
          return new CommandResult(rules.contains(rule) ? 0 : 1, "", "");
        }
        case "-A" -> rules.add(rule);
        case "-D" -> rules.remove(rule);
        default -> throw new AssertionError(command);
      }
      return new CommandResult(0, "", "");
    }
  }

  private static final class HealthyServers implements ServerClient {
    @Override
    public CompletableFuture<PodRole> podRole(String ip) {
      return CompletableFuture.failedFuture(
          new ServerFailure(ServerFailure.Kind.NO_SUCH_POD, "no pods in this test"));
    }

    @Override
    public CompletableFuture<PodCredentials> podCredentials(String ip, String role) {
      return CompletableFuture.failedFuture(
          new ServerFailure(ServerFailure.Kind.NO_SUCH_POD, "no pods in this test"));
    }

    @Override
    public CompletableFuture<Boolean> healthy() {
      return CompletableFuture.completedFuture(true);
    }

    @Override
    public void close() {}
  }

  private static int freePort() throws IOException {
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return probe.getLocalPort();
    }
  }

  private static AgentConfig config(int port, boolean remove) {
    Path unused = Path.of("/nonexistent");
    return new AgentConfig(
        port,
        Optional.of(InetAddress.getLoopbackAddress()),
        List.of("cali+"),
        true,
        remove,
        "kiam-server:9610",
        Duration.ofMillis(800),
        new TlsFiles(unused, unused, unused),
        Optional.empty(),
        URI.create("http://127.0.0.1:9"),
        false,
        Optional.empty(),
        LogFormat.TEXT,
        "info",
        Optional.empty(),
        AgentConfig.DEFAULT_DISCONNECTED_GRACE);
  }

  private Agent agent(AgentConfig config) {
    return Agent.builder(config)
        .serverClient(new HealthyServers())
        .commandRunner(nat)
        .registry(new PrometheusRegistry())
        .build();
  }

  private HttpResponse<String> health(int port) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void installsTheRuleAndKeepsItOnShutdownByDefault() throws Exception {
    int port = freePort();
    Agent agent = agent(config(port, false));

    agent.start();
    agent.start();
    List<String> rules = List.copyOf(nat.rules);
    HttpResponse<String> healthy = health(port);
    nat.rules.clear();
    // The answer is reused for a second: ask until the agent has looked again.
    HttpResponse<String> ruleGone = health(port);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (ruleGone.statusCode() == 200 && System.nanoTime() < deadline) {
      Thread.sleep(50);
      ruleGone = health(port);
    }
    nat.rules.addAll(rules);
    agent.close();
    agent.close();

    assertEquals(
        List.of(
            "PREROUTING -d 169.254.169.254/32 -i cali+ -p tcp --dport 80 -j DNAT"
                + " --to-destination 127.0.0.1:"
                + port),
        rules);
    assertEquals(200, healthy.statusCode());
    assertEquals(503, ruleGone.statusCode());
    assertEquals("iptables DNAT rule for cali+ is missing\n", ruleGone.body());
    assertEquals(rules, List.copyOf(nat.rules), "the rule outlives the agent");
    assertTrue(nat.commands.stream().noneMatch(c -> c.startsWith("-D")), nat.commands.toString());
  }

  @Test
  void removesTheRuleOnShutdownOnlyWhenAsked() throws Exception {
    Agent agent = agent(config(freePort(), true));

    agent.start();
    assertEquals(1, nat.rules.size());
    agent.close();

    assertTrue(nat.rules.isEmpty());
  }

  @Test
  void missingIptablesFailsTheStartClearlyAndNothingListens() throws Exception {
    int port = freePort();
    nat.missingBinary = new IOException("Cannot run program \"iptables\": error=2, No such file");
    Agent agent = agent(config(port, false));

    RuntimeException failure = assertThrows(RuntimeException.class, agent::start);

    assertTrue(failure.getMessage().contains("iptables"), failure.getMessage());
    assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close());
  }

  @Test
  void aFailedStartUndoesWhatItBegan() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Agent agent = agent(config(taken.getLocalPort(), true));

      RuntimeException failure = assertThrows(RuntimeException.class, agent::start);

      assertTrue(failure.getMessage().startsWith("cannot listen on"), failure.getMessage());
      assertTrue(nat.rules.isEmpty(), "the rule installed for this start was removed again");
    }
  }
}
