package io.kiam.server.bench;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.kiam.common.tls.ReloadingTls;
import io.kiam.common.tls.TlsFiles;
import io.kiam.proto.v1.GetPodCredentialsRequest;
import io.kiam.proto.v1.KiamServiceGrpc;
import io.kiam.server.events.PodEvents;
import io.kiam.server.grpc.GrpcMetrics;
import io.kiam.server.grpc.GrpcServer;
import io.kiam.server.grpc.KiamGrpcService;
import io.kiam.server.grpc.ServerHealth;
import io.kiam.server.k8s.NamespaceStore;
import io.kiam.server.k8s.PodStore;
import io.kiam.server.roles.PodRoles;
import io.kiam.server.sts.CredentialCache;
import io.kiam.server.sts.CredentialCacheConfig;
import io.kiam.server.sts.DefaultArnResolver;
import io.kiam.server.sts.IssuedCredentials;
import io.kiam.server.sts.StsGateway;
import io.kiam.server.testing.TestPods;
import io.kiam.testkit.pki.TestPki;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * GetPodCredentials on a cache hit, over gRPC with mutual TLS on loopback: the real service, pod
 * store and credential cache (primed once through a local gateway, so every measured call is a
 * hit), N blocking callers for a fixed time. Prints p50, p99 and calls/s. A benchmark, not a test:
 * run it by hand (args: callers seconds).
 */
public final class CredentialsLoadBench {
  private static final String BASE = "arn:aws:iam::123456789012:role/";

  private CredentialsLoadBench() {}

  public static void main(String[] args) throws Exception {
    int callers = args.length > 0 ? Integer.parseInt(args[0]) : 8;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    Path dir = Files.createTempDirectory("kiam-bench");
    TestPki pki = TestPki.create(dir);
    TlsFiles serverFiles = pki.issueServer("kiam-server", List.of("127.0.0.1"));
    ReloadingTls clientTls = ReloadingTls.load(pki.issueClient("kiam-agent"));

    ExecutorService executor = Executors.newFixedThreadPool(4);
    PodStore pods = new PodStore(executor);
    NamespaceStore namespaces = new NamespaceStore();
    Namespace shop = TestPods.namespace("shop", "shop-.*");
    namespaces.put(namespaces.getKey(shop), shop);
    Pod pod = TestPods.running("shop", "web", "10.9.0.1", "shop-web");
    pods.put(pods.getKey(pod), pod);
    AtomicInteger stsCalls = new AtomicInteger();
    StsGateway gateway =
        (request, duration) -> {
          stsCalls.incrementAndGet();
          Instant now = Instant.now();
          return new IssuedCredentials(
              "ASIABENCH",
              "secret",
              "token",
              now.plus(duration),
              now,
              "123456789012",
              request.roleArn());
        };
    CredentialCache cache =
        new CredentialCache(gateway, request -> true, CredentialCacheConfig.defaults());
    GrpcMetrics metrics = new GrpcMetrics(new PrometheusRegistry());
    KiamGrpcService service =
        new KiamGrpcService(
            pods,
            new PodRoles(
                new DefaultArnResolver(BASE),
                (a, s) -> "kiam-" + s,
                "kiam",
                namespaces,
                PodEvents.none()),
            cache,
            () -> true,
            Duration.ofMillis(300),
            metrics);
    GrpcServer server =
        new GrpcServer(
            new InetSocketAddress("127.0.0.1", 0),
            ReloadingTls.load(serverFiles).grpcServerContext(),
            service,
            new ServerHealth(),
            metrics,
            executor);
    server.start();
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", server.port())
            .sslContext(clientTls.grpcClientContext())
            .build();
    KiamServiceGrpc.KiamServiceBlockingStub stub = KiamServiceGrpc.newBlockingStub(channel);
    GetPodCredentialsRequest request =
        GetPodCredentialsRequest.newBuilder().setIp("10.9.0.1").setRole("shop-web").build();

    stub.getPodCredentials(request); // the one miss: primes the cache
    run(stub, request, callers, 3); // warm-up
    long[] latencies = run(stub, request, callers, seconds);

    Arrays.sort(latencies);
    System.out.printf(
        "callers=%d seconds=%d calls=%d calls/s=%.0f p50=%.3f ms p99=%.3f ms p999=%.3f ms sts_calls=%d%n",
        callers,
        seconds,
        latencies.length,
        latencies.length / (double) seconds,
        percentile(latencies, 0.50) / 1e6,
        percentile(latencies, 0.99) / 1e6,
        percentile(latencies, 0.999) / 1e6,
        stsCalls.get());
    channel.shutdownNow();
    server.shutdown(Duration.ofSeconds(1));
    cache.close();
    executor.shutdownNow();
  }

  private static long[] run(
      KiamServiceGrpc.KiamServiceBlockingStub stub,
      GetPodCredentialsRequest request,
      int callers,
      int seconds)
      throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(callers);
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    Future<?>[] futures = new Future<?>[callers];
    long[][] perCaller = new long[callers][];
    for (int c = 0; c < callers; c++) {
      int caller = c;
      futures[c] =
          threads.submit(
              () -> {
                long[] samples = new long[1 << 16];
                int n = 0;
                while (System.nanoTime() < end) {
                  long start = System.nanoTime();
                  stub.withDeadlineAfter(5, TimeUnit.SECONDS).getPodCredentials(request);
                  if (n == samples.length) {
                    samples = Arrays.copyOf(samples, n * 2);
                  }
                  samples[n++] = System.nanoTime() - start;
                }
                perCaller[caller] = Arrays.copyOf(samples, n);
                return null;
              });
    }
    for (Future<?> f : futures) {
      f.get();
    }
    threads.shutdown();
    return Arrays.stream(perCaller).flatMapToLong(Arrays::stream).toArray();
  }

  private static long percentile(long[] sorted, double p) {
    return sorted[Math.min(sorted.length - 1, (int) Math.floor(p * sorted.length))];
  }
}
