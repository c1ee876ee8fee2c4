package io.kiam.agent.client;

import io.kiam.agent.testing.FakeKiamServer;
import io.kiam.agent.testing.ProgrammableBackend;
import io.kiam.common.tls.ReloadingTls;
import io.kiam.testkit.pki.TestPki;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Not a test: prints the client's credential-call latency against one FakeKiamServer over mutual
 * TLS on loopback, sequentially and with 64 calls in flight. Run by hand (see the class's report).
 */
public final class ClientLatencyProbe {
  private ClientLatencyProbe() {}

  public static void main(String[] args) throws Exception {
    int calls = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
    TestPki pki = TestPki.create(Files.createTempDirectory("kiam-probe"));
    ProgrammableBackend backend = new ProgrammableBackend().pod("10.1.2.3", "ns", "p", "role");
    try (FakeKiamServer server = FakeKiamServer.start(pki, backend);
        ReloadingTls tls = ReloadingTls.load(server.clientTls());
        GrpcServerClient client =
            GrpcServerClient.connect(
                ClientSettings.defaults(server.target()),
                tls,
                HostLookup.system(),
                new ClientMetrics(new PrometheusRegistry()))) {
      while (client.state() != io.grpc.ConnectivityState.READY) {
        Thread.sleep(20); // a cold JVM's first handshake is not what is measured
      }
      for (int i = 0; i < calls; i++) {
        // Warm-up: a cold JVM's first answers may miss the deadline, which is not measured.
        client.podCredentials("10.1.2.3", "role").handle((r, e) -> r).get(5, TimeUnit.SECONDS);
      }
      long[] seq = sequential(client, calls);
      report("sequential", seq, calls);
      long start = System.nanoTime();
      long[] par = inFlight(client, calls, 64);
      double seconds = (System.nanoTime() - start) / 1e9;
      report("64 in flight", par, calls);
      System.out.printf("64 in flight: %.0f calls/s%n", calls / seconds);
    }
  }

  private static long[] sequential(GrpcServerClient client, int calls) throws Exception {
    long[] nanos = new long[calls];
    for (int i = 0; i < calls; i++) {
      long t = System.nanoTime();
      client.podCredentials("10.1.2.3", "role").get(5, TimeUnit.SECONDS);
      nanos[i] = System.nanoTime() - t;
    }
    return nanos;
  }

  private static long[] inFlight(GrpcServerClient client, int calls, int width) throws Exception {
    long[] nanos = new long[calls];
    CompletableFuture<?>[] window = new CompletableFuture<?>[width];
    for (int i = 0; i < calls; i++) {
      int slot = i % width;
      if (window[slot] != null) {
        window[slot].get(5, TimeUnit.SECONDS);
      }
      int index = i;
      long t = System.nanoTime();
      window[slot] =
          client
              .podCredentials("10.1.2.3", "role")
              .thenRun(() -> nanos[index] = System.nanoTime() - t);
    }
    CompletableFuture.allOf(
            Arrays.stream(window).filter(f -> f != null).toArray(CompletableFuture[]::new))
        .get(10, TimeUnit.SECONDS);
    return nanos;
  }

  private static void report(String what, long[] nanos, int calls) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    System.out.printf(
        "%s: %d calls, p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
        what,
        calls,
        sorted[calls / 2] / 1e6,
        sorted[(int) (calls * 0.99)] / 1e6,
        sorted[calls - 1] / 1e6);
  }
}
