package io.kiam.server.bench;

import static io.kiam.server.testing.TestPods.namespace;
import static io.kiam.server.testing.TestPods.running;

import io.fabric8.kubernetes.api.model.Pod;
import io.kiam.server.events.PodEvents;
import io.kiam.server.k8s.NamespaceStore;
import io.kiam.server.k8s.PodLookup;
import io.kiam.server.k8s.PodStore;
import io.kiam.server.roles.PodRoles;
import io.kiam.server.roles.Prefetcher;
import io.kiam.server.roles.RoleUsageTracker;
import io.kiam.server.sts.CredentialCache;
import io.kiam.server.sts.CredentialCacheConfig;
import io.kiam.server.sts.DefaultArnResolver;
import io.kiam.server.sts.IssuedCredentials;
import io.kiam.server.sts.RoleRequest;
import io.kiam.server.sts.StsGateway;
import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Pod churn at cluster scale against the server's own pod store, role-usage tracker, prefetcher and
 * credential cache (paced, against an in-process STS answering in 20 ms): PODS pods over ROLES
 * roles, then CHURN pods a second deleted and replaced by new ones (new uid, a recycled IP) for
 * SECONDS, while a reader asks for a random live pod's credentials 200 times a second, as the gRPC
 * service does. Prints CPU per event, heap after GC before and after, the reader's latency and the
 * STS calls made. Events go into the store as the informer hands them over (decoding the watch's
 * JSON is not counted). Not a test: run it by hand (docs/operations.md "Sizing").
 *
 * <p>Arguments: pods roles churnPerSecond seconds sessionTags(0|1).
 */
public final class ChurnBench {
  private ChurnBench() {}

  public static void main(String[] args) throws Exception {
    int pods = arg(args, 0, 10_000);
    int roles = arg(args, 1, 500);
    int churn = arg(args, 2, 100);
    int seconds = arg(args, 3, 60);
    boolean tags = arg(args, 4, 0) == 1;
    ExecutorService continuations = Executors.newFixedThreadPool(2);
    AtomicInteger stsCalls = new AtomicInteger();
    StsGateway sts =
        (request, duration) -> {
          stsCalls.incrementAndGet();
          sleep(20);
          Instant now = Instant.now();
          return new IssuedCredentials(
              "ASIABENCH", "secret", "token", now.plus(duration), now, "123456789012", "arn");
        };
    PodStore store = new PodStore(continuations);
    NamespaceStore namespaces = new NamespaceStore();
    namespaces.put("bench", namespace("bench", "app-.*"));
    PodRoles requests =
        new PodRoles(
            new DefaultArnResolver("arn:aws:iam::123456789012:role/"),
            (annotation, suffix) -> "kiam-" + suffix,
            "kiam",
            namespaces,
            PodEvents.none(),
            tags);
    RoleUsageTracker usage = new RoleUsageTracker(requests);
    CredentialCacheConfig config =
        CredentialCacheConfig.defaults().withPacing(new CredentialCacheConfig.Pacing(50, 100));
    try (CredentialCache cache = new CredentialCache(sts, usage, config)) {
      store.addListener(usage);
      store.addListener(new Prefetcher(requests, cache));
      ArrayDeque<String> freeIps = new ArrayDeque<>();
      AtomicReferenceArray<Pod> slots = new AtomicReferenceArray<>(pods);
      int[] serial = {0};
      for (int i = 0; i < pods; i++) {
        Pod p = pod(serial[0]++, ip(i), roles);
        slots.set(i, p);
        store.put(p.getMetadata().getUid(), p);
      }
      for (int i = pods; i < pods + churn * 10; i++) {
        freeIps.add(ip(i));
      }
      long warmStart = System.nanoTime();
      while (stsCalls.get() < (tags ? pods : roles)) {
        Thread.sleep(100);
      }
      System.out.printf(
          "warm: %d STS calls in %.1f s%n", stsCalls.get(), (System.nanoTime() - warmStart) / 1e9);
      long heapBefore = usedAfterGc();
      int callsBefore = stsCalls.get();

      long[] latencies = new long[seconds * 200];
      AtomicInteger asked = new AtomicInteger();
      AtomicInteger missed = new AtomicInteger();
      Thread reader =
          new Thread(
              () -> {
                long next = System.nanoTime();
                while (!Thread.currentThread().isInterrupted() && asked.get() < latencies.length) {
                  next += 5_000_000L;
                  sleepUntil(next);
                  Pod p = slots.get(ThreadLocalRandom.current().nextInt(pods));
                  long t0 = System.nanoTime();
                  PodLookup found = store.findByIp(p.getStatus().getPodIP());
                  if (!(found instanceof PodLookup.Found f)) {
                    missed.incrementAndGet();
                    continue;
                  }
                  Optional<RoleRequest> request = requests.request(f.pod());
                  try {
                    cache.credentials(request.orElseThrow()).get(10, TimeUnit.SECONDS);
                  } catch (Exception e) {
                    missed.incrementAndGet();
                    continue;
                  }
                  latencies[asked.getAndIncrement()] = System.nanoTime() - t0;
                }
              },
              "bench-reader");
      com.sun.management.OperatingSystemMXBean os =
          (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      long cpu0 = os.getProcessCpuTime();
      long start = System.nanoTime();
      reader.start();
      long events = 0;
      long next = start;
      long interval = 1_000_000_000L / churn;
      while (System.nanoTime() - start < seconds * 1_000_000_000L) {
        next += interval;
        sleepUntil(next);
        int slot = ThreadLocalRandom.current().nextInt(pods);
        Pod old = slots.get(slot);
        store.remove(old.getMetadata().getUid());
        freeIps.add(old.getStatus().getPodIP());
        Pod fresh = pod(serial[0]++, freeIps.poll(), roles);
        store.put(fresh.getMetadata().getUid(), fresh);
        slots.set(slot, fresh);
        events += 2;
      }
      double elapsed = (System.nanoTime() - start) / 1e9;
      long cpu = os.getProcessCpuTime() - cpu0;
      reader.interrupt();
      reader.join();
      long heapAfter = usedAfterGc();
      long[] l = Arrays.copyOf(latencies, asked.get());
      Arrays.sort(l);
      System.out.printf(
          "churn: %d events in %.1f s (%.0f/s), process CPU %.2f s = %.0f us per event"
              + " (reader included)%n",
          events, elapsed, events / elapsed, cpu / 1e9, cpu / 1e3 / events);
      System.out.printf(
          "heap after GC: %.1f MiB before, %.1f MiB after%n",
          heapBefore / 1048576.0, heapAfter / 1048576.0);
      System.out.printf(
          "credentials during churn: %d asked, %d missed (IP just reused), p50 %.3f ms,"
              + " p99 %.3f ms, max %.3f ms%n",
          l.length,
          missed.get(),
          pct(l, 50),
          pct(l, 99),
          l.length == 0 ? 0 : l[l.length - 1] / 1e6);
      System.out.printf(
          "STS calls during churn: %d (session tags %s)%n",
          stsCalls.get() - callsBefore, tags ? "on" : "off");
    } finally {
      continuations.shutdownNow();
    }
  }

  private static Pod pod(int serial, String ip, int roles) {
    return running("bench", "pod-" + serial, ip, "app-" + (serial % roles));
  }

  private static String ip(int i) {
    return "10." + (i >> 16 & 0xff) + "." + (i >> 8 & 0xff) + "." + (i & 0xff);
  }

  private static double pct(long[] sorted, int p) {
    return sorted.length == 0
        ? 0
        : sorted[Math.min(sorted.length - 1, sorted.length * p / 100)] / 1e6;
  }

  private static int arg(String[] args, int i, int fallback) {
    return args.length > i ? Integer.parseInt(args[i]) : fallback;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void sleepUntil(long nanoTime) {
    long wait = nanoTime - System.nanoTime();
    if (wait > 0) {
      try {
        TimeUnit.NANOSECONDS.sleep(wait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static long usedAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
