package io.kiam.agent.client;

import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Answers from the node's memory when it can, else asks the servers: the hot path (an IP the
 * WatchNode stream delivered) makes no call; an IP memory does not know costs one call that returns
 * the decision and the credentials together; against servers without WatchNode every request asks
 * as before. Memory answers only while the stream is live, or for the disconnected grace after it
 * was lost; never the node's own credentials, which the agent never has.
 */
public final class NodeAwareClient implements ServerClient {
  /** How long a cold-path answer may serve the same pod's next request (its credentials call). */
  static final Duration COLD_REUSE = Duration.ofSeconds(2);

  /** Credentials served from memory keep at least this much life; closer to expiry, ask. */
  static final Duration MIN_REMAINING = Duration.ofSeconds(60);

  private static final int MAX_COLD = 1024;

  private final GrpcServerClient servers;
  private final NodeView view;
  private final NodeStream stream;
  private final ScheduledExecutorService timer;
  private final LongSupplier nanoTime;
  private final Map<String, Cold> cold = new ConcurrentHashMap<>();
  private final LongAdder fromMemory = new LongAdder();
  private final LongAdder coldCalls = new LongAdder();
  private final LongAdder unaryCalls = new LongAdder();

  /** Where a pod lookup (role or credentials) found its answer. */
  public enum Source {
    /** The node stream's memory, or a cold answer reused for the pod's next request: no call. */
    MEMORY,
    /** One cold call (GetPodCredentials) for an IP memory does not know. */
    COLD,
    /** The unary calls of old: before the first snapshot, or against servers without WatchNode. */
    UNARY
  }

  private record Cold(PodAccess access, long stamp, long at) {}

  private NodeAwareClient(
      GrpcServerClient servers,
      String nodeName,
      Duration grace,
      Duration heartbeat,
      LongSupplier nanoTime) {
    this.servers = servers;
    this.nanoTime = nanoTime;
    this.view = new NodeView(grace, nanoTime);
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            new DefaultThreadFactory("kiam-node-stream", true));
    this.stream = new NodeStream(servers.channel(), nodeName, view, timer, heartbeat, nanoTime);
  }

  /** Subscribes to {@code nodeName}'s pods; {@code servers} is closed with this client. */
  public static NodeAwareClient start(GrpcServerClient servers, String nodeName, Duration grace) {
    return start(servers, nodeName, grace, NodeStream.DEFAULT_HEARTBEAT);
  }

  static NodeAwareClient start(
      GrpcServerClient servers, String nodeName, Duration grace, Duration heartbeat) {
    NodeAwareClient client =
        new NodeAwareClient(servers, nodeName, grace, heartbeat, System::nanoTime);
    client.stream.start();
    return client;
  }

  /** Whether memory answers now (the stream delivered a snapshot), for tests and logs. */
  public boolean live() {
    return view.state() == NodeView.State.LIVE;
  }

  /** The number of IPs memory holds. */
  public int known() {
    return view.size();
  }

  /** How many lookups found their answer in {@code source} since start. */
  public long lookups(Source source) {
    return switch (source) {
      case MEMORY -> fromMemory.sum();
      case COLD -> coldCalls.sum();
      case UNARY -> unaryCalls.sum();
    };
  }

  NodeView view() {
    return view;
  }

  @Override
  public CompletableFuture<PodRole> podRole(String ip) {
    PodAccess known = remembered(ip);
    if (known != null) {
      fromMemory.increment();
      return answer(known::asRole);
    }
    if (!view.streamed()) {
      unaryCalls.increment();
      return servers.podRole(ip);
    }
    coldCalls.increment();
    return ask(ip)
        .thenCompose(access -> access == null ? servers.podRole(ip) : answer(access::asRole))
        .exceptionallyCompose(this::withOutage);
  }

  @Override
  public CompletableFuture<PodCredentials> podCredentials(String ip, String role) {
    PodAccess known = remembered(ip);
    if (known != null && usable(known, role)) {
      fromMemory.increment();
      return answer(() -> credentials(known, role));
    }
    if (!view.streamed()) {
      unaryCalls.increment();
      return servers.podCredentials(ip, role);
    }
    coldCalls.increment();
    return ask(ip)
        .thenCompose(
            access ->
                access == null
                    ? servers.podCredentials(ip, role)
                    : answer(() -> credentials(access, role)))
        .exceptionallyCompose(this::withOutage);
  }

  @Override
  public CompletableFuture<Boolean> healthy() {
    return servers.healthy();
  }

  @Override
  public void close() {
    stream.close();
    timer.shutdownNow();
    servers.close();
  }

  /** What memory (the stream, or a fresh cold answer) says of {@code ip}, or null. */
  private PodAccess remembered(String ip) {
    PodAccess known = view.lookup(ip);
    if (known != null) {
      return known;
    }
    Cold c = cold.get(ip);
    if (c == null) {
      return null;
    }
    if (nanoTime.getAsLong() - c.at > COLD_REUSE.toNanos() || !view.unchangedSince(ip, c.stamp)) {
      cold.remove(ip, c);
      return null;
    }
    return c.access;
  }

  /** Whether memory can answer a credentials request without asking (refusals always can). */
  private static boolean usable(PodAccess access, String role) {
    if (!access.permitted() || !access.roleName().equals(role)) {
      return true;
    }
    IssuedCredentials c = access.credentials();
    return c != null && c.validAt(Instant.now().plus(MIN_REMAINING));
  }

  private static PodCredentials credentials(PodAccess access, String role) {
    if (!access.permitted()) {
      throw new ServerFailure(access.refusal(), access.reason());
    }
    if (!access.roleName().equals(role)) {
      throw new ServerFailure(
          ServerFailure.Kind.REFUSED,
          "pod " + access.pod() + " has role '" + access.roleName() + "', not '" + role + "'");
    }
    if (access.credentials() == null || !access.credentials().validAt(Instant.now())) {
      throw new ServerFailure(
          ServerFailure.Kind.UNAVAILABLE, "the server has no credentials for the role yet");
    }
    return new PodCredentials(access.pod(), access.credentials());
  }

  /**
   * The cold path's one call; its answer serves the pod's next request for a moment. Null when the
   * server that answered is too old for it (a fleet half upgraded): ask the two unary calls.
   */
  private CompletableFuture<PodAccess> ask(String ip) {
    long stamp = view.stamp(ip);
    return servers
        .podAccess(ip)
        .exceptionallyCompose(
            failure -> {
              Throwable cause =
                  failure instanceof CompletionException ? failure.getCause() : failure;
              // An older server refuses the empty role the cold call sends.
              return cause instanceof ServerFailure f && f.kind() == ServerFailure.Kind.MALFORMED
                  ? CompletableFuture.completedFuture(null)
                  : CompletableFuture.failedFuture(cause);
            })
        .thenApply(
            access -> {
              if (access != null && view.unchangedSince(ip, stamp)) {
                if (cold.size() >= MAX_COLD) {
                  cold.clear();
                }
                cold.put(ip, new Cold(access, stamp, nanoTime.getAsLong()));
              }
              return access;
            });
  }

  /** A server failure while memory no longer answers says why memory does not. */
  private <T> CompletableFuture<T> withOutage(Throwable failure) {
    Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
    String outage = view.outage();
    if (cause instanceof ServerFailure f
        && f.kind() == ServerFailure.Kind.UNAVAILABLE
        && !outage.isEmpty()) {
      return CompletableFuture.failedFuture(
          new ServerFailure(
              ServerFailure.Kind.UNAVAILABLE,
              outage + (f.explanation().isEmpty() ? "" : "; " + f.explanation()),
              f));
    }
    return CompletableFuture.failedFuture(cause);
  }

  private static <T> CompletableFuture<T> answer(java.util.function.Supplier<T> value) {
    try {
      return CompletableFuture.completedFuture(value.get());
    } catch (ServerFailure f) {
      return CompletableFuture.failedFuture(f);
    }
  }
}
