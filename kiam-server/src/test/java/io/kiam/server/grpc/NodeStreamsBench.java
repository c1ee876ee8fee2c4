package io.kiam.server.grpc;

import io.fabric8.kubernetes.api.model.Pod;
import io.grpc.stub.ServerCallStreamObserver;
import io.kiam.proto.v1.NodeEvent;
import io.kiam.server.events.PodEvents;
import io.kiam.server.k8s.NamespaceStore;
import io.kiam.server.k8s.PodStore;
import io.kiam.server.nodes.NodeStreams;
import io.kiam.server.roles.DecisionLog;
import io.kiam.server.roles.PodRoles;
import io.kiam.server.sts.CredentialsSource;
import io.kiam.server.sts.DefaultArnResolver;
import io.kiam.server.sts.IssuedCredentials;
import io.kiam.server.sts.RoleRequest;
import io.kiam.server.testing.TestPods;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One server's node streams at scale: N node streams over P pods (default 1,000 over 50,000), each
 * stream a real {@link NodeStreamCall} (queue, coalescing, protobuf conversion, serialisation) on a
 * call that is always ready. Prints the heap each stream retains, the time to send one snapshot,
 * and the time from a pod change in the store to its message leaving the server (the fan-out), p50
 * and p99. Not counted: TLS and the network. A benchmark, not a test: run it by hand (command in
 * docs/operations.md); use -XX:+UseSerialGC for stable heap figures.
 */
public final class NodeStreamsBench {
  private static final String BASE = "arn:aws:iam::123456789012:role/";

  private NodeStreamsBench() {}

  public static void main(String[] args) throws Exception {
    int nodes = args.length > 0 ? Integer.parseInt(args[0]) : 1_000;
    int pods = args.length > 1 ? Integer.parseInt(args[1]) : 50_000;
    int changes = args.length > 2 ? Integer.parseInt(args[2]) : 2_000;
    int perNode = pods / nodes;

    PodStore store = new PodStore(Runnable::run);
    NamespaceStore namespaces = new NamespaceStore();
    for (int n = 0; n < 50; n++) {
      namespaces.put("team-" + n, TestPods.namespace("team-" + n, "team-.*"));
    }
    PodRoles roles =
        new PodRoles(
            new DefaultArnResolver(BASE),
            (a, s) -> "kiam-" + s,
            "bench",
            namespaces,
            PodEvents.none());
    NodeStreams streams = new NodeStreams(store, roles, new HeldCredentials(), new DecisionLog());
    store.addListener(streams);
    namespaces.onPermissionChange(streams::namespaceChanged);
    List<Pod> all = new ArrayList<>(pods);
    for (int i = 0; i < pods; i++) {
      Pod pod = pod(i, "node-" + (i / perNode), 1);
      all.add(pod);
      store.put(store.getKey(pod), pod);
    }
    System.out.printf("pods=%d nodes=%d pods/node=%d%n", pods, nodes, perNode);

    // Warm up the code paths, then measure from a collected heap.
    for (int w = 0; w < 200; w++) {
      subscribe(streams, "node-" + (w % nodes)).subscription.close();
    }
    streams.flushed().get(30, TimeUnit.SECONDS);
    long before = usedAfterGc();
    long[] snapshotNanos = new long[nodes];
    List<Sink> sinks = new ArrayList<>(nodes);
    long allStart = System.nanoTime();
    for (int n = 0; n < nodes; n++) {
      long start = System.nanoTime();
      Sink sink = subscribe(streams, "node-" + n);
      sink.snapshot.await(30, TimeUnit.SECONDS);
      snapshotNanos[n] = System.nanoTime() - start;
      sinks.add(sink);
    }
    long allNanos = System.nanoTime() - allStart;
    long after = usedAfterGc();
    long bytes = sinks.stream().mapToLong(s -> s.bytes.get()).sum();
    System.out.printf(
        "heap per stream: %d bytes (%.1f MiB for %d streams)%n",
        (after - before) / nodes, (after - before) / 1048576.0, nodes);
    System.out.printf(
        "snapshot (%d assignments, %d bytes of protobuf): p50 %.3f ms, p99 %.3f ms;"
            + " all %d streams subscribed in %.0f ms%n",
        perNode,
        bytes / nodes,
        percentile(snapshotNanos, 50) / 1e6,
        percentile(snapshotNanos, 99) / 1e6,
        nodes,
        allNanos / 1e6);

    // One pod change at a time: a role annotation flips; time until its message is written.
    Random random = new Random(42);
    long[] fanOut = new long[changes];
    for (int c = 0; c < changes; c++) {
      int i = random.nextInt(pods);
      int node = i / perNode;
      Sink sink = sinks.get(node);
      CountDownLatch written = sink.expect();
      Pod changed = pod(i, "node-" + node, 2 + c);
      long start = System.nanoTime();
      store.put(store.getKey(changed), changed);
      written.await(30, TimeUnit.SECONDS);
      fanOut[c] = System.nanoTime() - start;
    }
    System.out.printf(
        "one pod change, store to message written: p50 %.3f ms, p99 %.3f ms (%d changes)%n",
        percentile(fanOut, 50) / 1e6, percentile(fanOut, 99) / 1e6, changes);

    // A namespace's expression changes: all its pods (1/50 of the cluster) are judged again.
    long start = System.nanoTime();
    namespaces.put("team-7", TestPods.namespace("team-7", "nothing"));
    streams.flushed().get(60, TimeUnit.SECONDS);
    System.out.printf(
        "namespace change re-judging %d pods on all streams: %.1f ms%n",
        pods / 50, (System.nanoTime() - start) / 1e6);
    streams.close();
  }

  private static Sink subscribe(NodeStreams streams, String node) {
    Sink sink = new Sink();
    NodeStreamCall call = new NodeStreamCall(node, sink, NodeStreamCall.MAX_PENDING);
    sink.subscription = streams.subscribe(node, call);
    return sink;
  }

  private static Pod pod(int i, String node, int version) {
    // Every change names a role no earlier version had, so each one changes the pod's answer.
    String role = version == 1 ? "team-role-" + (i % 20) : "team-changed-" + version;
    return TestPods.pod("team-" + (i % 50), "app-" + i)
        .uid("uid-" + i)
        .node(node)
        .ip("10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255))
        .phase("Running")
        .role(role)
        .resourceVersion(Integer.toString(version))
        .build();
  }

  private static long percentile(long[] values, int p) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
  }

  private static long usedAfterGc() throws InterruptedException {
    for (int i = 0; i < 4; i++) {
      System.gc();
      Thread.sleep(100);
    }
    var heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    return heap.getUsed();
  }

  /** Credentials held in memory, as the cache holds them once warm. */
  private static final class HeldCredentials implements CredentialsSource {
    private final Map<RoleRequest, CompletableFuture<IssuedCredentials>> held =
        new ConcurrentHashMap<>();

    @Override
    public CompletableFuture<IssuedCredentials> credentials(RoleRequest request) {
      return held.computeIfAbsent(
          request,
          r ->
              CompletableFuture.completedFuture(
                  new IssuedCredentials(
                      "ASIABENCH" + Math.abs(r.hashCode()),
                      "secret-" + r.hashCode() + "-".repeat(30),
                      "token-".repeat(100),
                      Instant.now().plus(Duration.ofHours(1)),
                      Instant.now(),
                      "123456789012",
                      r.roleArn())));
    }

    @Override
    public CompletableFuture<IssuedCredentials> prefetch(RoleRequest request) {
      return credentials(request);
    }
  }

  /** An always-ready call that serialises what it is sent, as the transport would, and drops it. */
  private static final class Sink extends ServerCallStreamObserver<NodeEvent> {
    final CountDownLatch snapshot = new CountDownLatch(1);
    final AtomicLong bytes = new AtomicLong();
    final AtomicReference<CountDownLatch> next = new AtomicReference<>();
    NodeStreams.Subscription subscription;

    CountDownLatch expect() {
      CountDownLatch latch = new CountDownLatch(1);
      next.set(latch);
      return latch;
    }

    @Override
    public void onNext(NodeEvent value) {
      bytes.addAndGet(value.toByteArray().length);
      if (value.hasSnapshotComplete()) {
        snapshot.countDown();
      }
      CountDownLatch latch = next.getAndSet(null);
      if (latch != null) {
        latch.countDown();
      }
    }

    @Override
    public boolean isReady() {
      return true;
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}

    @Override
    public boolean isCancelled() {
      return false;
    }

    @Override
    public void setOnCancelHandler(Runnable onCancelHandler) {}

    @Override
    public void setCompression(String compression) {}

    @Override
    public void setOnReadyHandler(Runnable onReadyHandler) {}

    @Override
    public void disableAutoInboundFlowControl() {}

    @Override
    public void request(int count) {}

    @Override
    public void setMessageCompression(boolean enable) {}
  }
}
