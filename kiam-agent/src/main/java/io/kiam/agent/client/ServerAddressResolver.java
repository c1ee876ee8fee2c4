package io.kiam.agent.client;

import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.StatusOr;
import io.grpc.SynchronizationContext;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Looks up the servers' DNS name and hands every address to the channel's round-robin balancer: at
 * start, every {@code resolveEvery} (so new servers are found), and whenever the channel asks after
 * a connection closed or failed (so servers that went away are replaced), at most once per {@code
 * resolveMinGap}.
 *
 * <p>kiam's agents kept a stale server list because gRPC-Go re-resolved only on failure; this
 * resolver also re-resolves on a timer, and a failed look-up keeps the last good list rather than
 * dropping every server.
 */
final class ServerAddressResolver extends NameResolver {
  private static final Logger log = LoggerFactory.getLogger(ServerAddressResolver.class);

  private final ServerTarget target;
  private final HostLookup lookup;
  private final Duration every;
  private final long minGapNanos;
  private final SynchronizationContext sync;
  private final ScheduledExecutorService scheduler;
  private final Executor offload;

  // Fields below are touched only inside the synchronization context.
  private Listener2 listener;
  private boolean resolving;
  private boolean shutdown;
  private boolean resolvedOnce;
  private long lastStartNanos;
  private SynchronizationContext.ScheduledHandle periodic;
  private SynchronizationContext.ScheduledHandle deferred;
  private List<InetSocketAddress> lastGood = List.of();

  ServerAddressResolver(
      ServerTarget target,
      HostLookup lookup,
      Duration every,
      Duration minGap,
      NameResolver.Args args) {
    this.target = target;
    this.lookup = lookup;
    this.every = every;
    this.minGapNanos = minGap.toNanos();
    this.sync = args.getSynchronizationContext();
    this.scheduler = args.getScheduledExecutorService();
    Executor executor = args.getOffloadExecutor();
    // Look-ups block, so they never run in the synchronization context itself.
    this.offload = executor != null ? executor : ForkJoinPool.commonPool();
  }

  @Override
  public String getServiceAuthority() {
    return target.authority();
  }

  @Override
  public void start(Listener2 listener) {
    this.listener = listener;
    periodic = sync.scheduleWithFixedDelay(this::resolve, every, every, scheduler);
    resolve();
  }

  @Override
  public void refresh() {
    resolve();
  }

  @Override
  public void shutdown() {
    shutdown = true;
    if (periodic != null) {
      periodic.cancel();
    }
    if (deferred != null) {
      deferred.cancel();
    }
  }

  private void resolve() {
    if (shutdown || resolving) {
      return;
    }
    long now = System.nanoTime();
    long since = now - lastStartNanos;
    if (resolvedOnce && since < minGapNanos) {
      if (deferred == null || !deferred.isPending()) {
        deferred =
            sync.schedule(this::resolve, minGapNanos - since, TimeUnit.NANOSECONDS, scheduler);
      }
      return;
    }
    resolving = true;
    lastStartNanos = now;
    offload.execute(
        () -> {
          List<InetSocketAddress> found;
          Exception failure = null;
          try {
            found = addresses(lookup.lookup(target.host()));
          } catch (Exception e) {
            found = List.of();
            failure = e;
          }
          List<InetSocketAddress> result = found;
          Exception error = failure;
          sync.execute(() -> deliver(result, error));
        });
  }

  private List<InetSocketAddress> addresses(List<InetAddress> found) {
    Set<InetSocketAddress> unique = new LinkedHashSet<>();
    for (InetAddress address : found) {
      unique.add(new InetSocketAddress(address, target.port()));
    }
    return new ArrayList<>(unique);
  }

  private void deliver(List<InetSocketAddress> found, Exception failure) {
    resolving = false;
    resolvedOnce = true;
    if (shutdown) {
      return;
    }
    if (found.isEmpty()) {
      String why = failure != null ? failure.toString() : "no addresses";
      if (!lastGood.isEmpty()) {
        log.atWarn()
            .addKeyValue("server.target", target.authority())
            .log("cannot look up the kiam servers ({}), keeping {}", why, lastGood);
        return;
      }
      log.atWarn()
          .addKeyValue("server.target", target.authority())
          .log("cannot look up the kiam servers: {}", why);
      listener.onResult2(
          ResolutionResult.newBuilder()
              .setAddressesOrError(
                  StatusOr.fromStatus(
                      Status.UNAVAILABLE.withDescription(
                          "cannot look up kiam servers " + target.authority() + ": " + why)))
              .build());
      return;
    }
    if (!found.equals(lastGood)) {
      log.atInfo()
          .addKeyValue("server.target", target.authority())
          .log("kiam servers at {}", found);
    }
    lastGood = found;
    List<EquivalentAddressGroup> groups = new ArrayList<>();
    for (InetSocketAddress address : found) {
      groups.add(new EquivalentAddressGroup(address));
    }
    listener.onResult2(
        ResolutionResult.newBuilder().setAddressesOrError(StatusOr.fromValue(groups)).build());
  }
}
