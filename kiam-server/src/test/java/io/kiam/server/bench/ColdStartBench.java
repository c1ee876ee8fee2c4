package io.kiam.server.bench;

import io.kiam.server.sts.CredentialCache;
import io.kiam.server.sts.CredentialCacheConfig;
import io.kiam.server.sts.IssuedCredentials;
import io.kiam.server.sts.RoleRequest;
import io.kiam.server.sts.StsFailure;
import io.kiam.server.sts.StsGateway;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A cold start: {@code pods} pods over {@code roles} role sessions appear at once (each prefetched,
 * as the server does when its caches sync), and {@code asking} of them ask for credentials at the
 * same moment, through the real credential cache and its STS rate limit, against an in-process STS
 * that answers after {@code latencyMs} and throttles above its own quota. Prints STS calls against
 * distinct sessions, the most calls sent in any one-second window, the time until every pod is
 * warm, the asking pods' waits, throttling met, and the heap after GC. A benchmark, not a test.
 *
 * <p>Arguments: pods roles rate burst [latencyMs] [stsQuotaPerSecond] [asking].
 */
public final class ColdStartBench {
  private ColdStartBench() {}

  public static void main(String[] args) throws Exception {
    int pods = arg(args, 0, 50_000);
    int roles = arg(args, 1, 5_000);
    double rate = args.length > 2 ? Double.parseDouble(args[2]) : 50;
    int burst = arg(args, 3, 100);
    int latencyMs = arg(args, 4, 20);
    int quota = arg(args, 5, 600);
    int asking = arg(args, 6, 500);

    InProcessSts sts = new InProcessSts(latencyMs, quota);
    CredentialCacheConfig config =
        CredentialCacheConfig.defaults().withPacing(new CredentialCacheConfig.Pacing(rate, burst));
    long heapBefore = usedAfterGc();
    try (CredentialCache cache = new CredentialCache(sts, request -> true, config)) {
      long start = System.nanoTime();
      List<CompletableFuture<IssuedCredentials>> warm = new ArrayList<>(pods);
      for (int pod = 0; pod < pods; pod++) {
        warm.add(cache.prefetch(session(pod % roles)));
      }
      // Pods spread over the roles ask at once, behind the whole prefetch queue.
      long[] waits = new long[asking];
      List<CompletableFuture<?>> asked = new ArrayList<>();
      for (int i = 0; i < asking; i++) {
        int index = i;
        long askedAt = System.nanoTime();
        int pod = (int) ((long) i * pods / Math.max(1, asking)) + 1;
        asked.add(
            cache
                .credentials(session(pod % roles))
                .whenComplete((ok, e) -> waits[index] = System.nanoTime() - askedAt));
      }
      CompletableFuture.allOf(asked.toArray(CompletableFuture[]::new)).get(1, TimeUnit.HOURS);
      long askedDone = System.nanoTime() - start;
      CompletableFuture.allOf(warm.toArray(CompletableFuture[]::new)).get(1, TimeUnit.HOURS);
      long allWarm = System.nanoTime() - start;
      warm.clear(); // the futures are the benchmark's, not the server's
      asked.clear();
      long heapWarm = usedAfterGc();
      Arrays.sort(waits);

      System.out.printf(
          "pods=%d roles=%d rate=%.1f/s burst=%d sts-latency=%dms sts-quota=%d/s asking=%d%n",
          pods, roles, rate, burst, latencyMs, quota, asking);
      System.out.printf(
          "sts calls=%d (issued %d, throttled %d) for %d distinct sessions%n",
          sts.calls.get(), sts.issued.get(), sts.throttled.get(), roles);
      System.out.printf(
          "most calls sent in any 1 s window=%d (bucket allows burst + rate = %.0f)%n",
          sts.maxInAnySecond(), burst + rate);
      System.out.printf(
          "every pod warm after %.1f s; the %d asking pods answered after %.1f s: p50 %.0f ms, p99"
              + " %.0f ms, max %.0f ms%n",
          allWarm / 1e9,
          asking,
          askedDone / 1e9,
          waits.length == 0 ? 0 : waits[waits.length / 2] / 1e6,
          waits.length == 0 ? 0 : waits[(int) (waits.length * 0.99)] / 1e6,
          waits.length == 0 ? 0 : waits[waits.length - 1] / 1e6);
      System.out.printf(
          "heap after GC: %.1f MiB before, %.1f MiB with every session cached (%.0f bytes per"
              + " session)%n",
          heapBefore / 1048576.0, heapWarm / 1048576.0, (heapWarm - heapBefore) / (double) roles);
    }
  }

  private static RoleRequest session(int role) {
    return new RoleRequest(
        "arn:aws:iam::123456789012:role/app-" + role, "kiam-kiam", Optional.empty());
  }

  private static int arg(String[] args, int i, int fallback) {
    return args.length > i ? Integer.parseInt(args[i]) : fallback;
  }

  private static long usedAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /**
   * STS in the process: answers after a fixed latency, meters calls with its own token bucket of
   * {@code quota} a second (as STS meters an account) and answers Throttling when it is empty.
   */
  private static final class InProcessSts implements StsGateway {
    final AtomicInteger calls = new AtomicInteger();
    final AtomicInteger issued = new AtomicInteger();
    final AtomicInteger throttled = new AtomicInteger();
    private final ConcurrentLinkedQueue<Long> sentAt = new ConcurrentLinkedQueue<>();
    private final int latencyMs;
    private final double quota;
    private double tokens;
    private long last = System.nanoTime();

    InProcessSts(int latencyMs, int quota) {
      this.latencyMs = latencyMs;
      this.quota = quota;
      this.tokens = quota;
    }

    @Override
    public IssuedCredentials assumeRole(RoleRequest request, Duration sessionDuration) {
      calls.incrementAndGet();
      sentAt.add(System.nanoTime());
      if (!take()) {
        throttled.incrementAndGet();
        throw new StsFailure(StsFailure.Kind.UNAVAILABLE, "Throttling", "Rate exceeded", null);
      }
      try {
        Thread.sleep(latencyMs);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StsFailure(StsFailure.Kind.UNAVAILABLE, "interrupted", e);
      }
      int n = issued.incrementAndGet();
      Instant now = Instant.now();
      return new IssuedCredentials(
          "ASIABENCH" + n,
          "secret",
          "token",
          now.plus(sessionDuration),
          now,
          "123456789012",
          request.roleArn());
    }

    private synchronized boolean take() {
      long now = System.nanoTime();
      tokens = Math.min(quota, tokens + (now - last) * quota / 1e9);
      last = now;
      if (tokens < 1) {
        return false;
      }
      tokens -= 1;
      return true;
    }

    /** The most calls whose send times fall within any one second. */
    int maxInAnySecond() {
      long[] times = sentAt.stream().mapToLong(Long::longValue).sorted().toArray();
      int best = 0;
      int from = 0;
      for (int to = 0; to < times.length; to++) {
        while (times[to] - times[from] >= 1_000_000_000L) {
          from++;
        }
        best = Math.max(best, to - from + 1);
      }
      return best;
    }
  }
}
