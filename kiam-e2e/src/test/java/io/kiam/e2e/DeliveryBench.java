package io.kiam.e2e;

import io.kiam.e2e.cluster.PodSpec;
import io.kiam.e2e.net.RunNames;
import io.kiam.e2e.node.KiamNode;
import io.kiam.e2e.node.NodeOptions;
import io.kiam.e2e.node.NodePod;
import io.kiam.e2e.node.TestkitSts;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A benchmark, not a test: the agent-side delivery time, from a pod's role annotation changed in
 * the Kubernetes API to the agent answering the pod with the new role, on the e2e node (two real
 * servers, the real agent, the pod's requests through the DNAT rule). A pod asks in a tight loop
 * (one round: the role listing, then that role's credentials); each change is timed from just
 * before the API call to the end of the first round that was served the new role (an upper bound:
 * it includes up to one round). Needs root, like the e2e tests; see docs/operations.md for the
 * command.
 *
 * <p>Arguments: {@code [CHANGES] [SERVERS]} (defaults 200 and 2).
 */
public final class DeliveryBench {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private DeliveryBench() {}

  public static void main(String[] args) {
    int changes = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    int servers = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    RunNames names = RunNames.random();
    Path work = Path.of("kiam-e2e/target/e2e-runs").toAbsolutePath().resolve(names.prefix());
    NodeOptions options =
        new NodeOptions(
            names,
            null,
            work,
            Path.of(System.getProperty("java.home"), "bin", "java"),
            jar("kiam.e2e.serverJar", "kiam-server/target/kiam-server.jar"),
            jar("kiam.e2e.agentJar", "kiam-agent/target/kiam-agent.jar"),
            jar("kiam.e2e.harnessJar", "kiam-e2e/target/kiam-e2e-all.jar"),
            host -> TestkitSts.start(host, List.of("bench-a", "bench-b")),
            servers,
            null,
            List.of(),
            List.of());
    try (KiamNode node = KiamNode.start(options)) {
      node.putNamespace("bench", "bench-.*");
      NodePod pod = node.addPod(PodSpec.of("bench", "timed", "bench-a"));
      new PodChecks(node).awaitRole(pod, "bench-a", WAIT);
      List<Long> micros = new ArrayList<>();
      List<Long> rounds = new ArrayList<>();
      String role = "bench-a";
      try (PodLoop loop = PodLoop.start(node, pod, 0)) {
        loop.await("the first role", 20, r -> "bench-a".equals(r.servedRole()), WAIT);
        int warmup = 4;
        for (int i = 0; i < changes + warmup; i++) {
          String next = role.equals("bench-a") ? "bench-b" : "bench-a";
          int from = loop.size();
          long before = System.nanoTime();
          pod = node.setRole(pod, next);
          String wanted = next;
          loop.await("role " + next, 1, r -> wanted.equals(r.servedRole()), WAIT);
          PodLoop.Round first =
              loop.rounds().subList(from, loop.size()).stream()
                  .filter(r -> wanted.equals(r.servedRole()) && r.t0() >= before)
                  .findFirst()
                  .orElse(null);
          if (first == null) {
            // served by a round already under way when the change was made: wait for the next
            loop.await("role " + next, 1, r -> wanted.equals(r.servedRole()), WAIT);
            first =
                loop.rounds().stream()
                    .filter(r -> wanted.equals(r.servedRole()) && r.t0() >= before)
                    .findFirst()
                    .orElseThrow();
          }
          if (i >= warmup) {
            micros.add((first.t1() - before) / 1000);
            rounds.add((first.t1() - first.t0()) / 1000);
          }
          role = next;
          PodChecks.sleep(50); // let the node settle, as changes come apart in a cluster
        }
        List<PodLoop.Round> all = loop.stop();
        long failed = all.stream().filter(r -> r.error() != null).count();
        System.out.printf(
            "delivery (API change -> agent answers the new role), %d changes, %d servers:%n"
                + "  p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms%n"
                + "  one round (listing + credentials) p50 %.2f ms; %d rounds, %d failed%n",
            micros.size(),
            servers,
            pct(micros, 50),
            pct(micros, 90),
            pct(micros, 99),
            pct(micros, 100),
            pct(rounds, 50),
            all.size(),
            failed);
      }
    }
  }

  private static double pct(List<Long> values, int p) {
    List<Long> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index))) / 1000.0;
  }

  private static Path jar(String property, String fallback) {
    return Path.of(System.getProperty(property, fallback)).toAbsolutePath();
  }
}
