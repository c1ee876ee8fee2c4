package io.kiam.agent.client;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.kiam.proto.v1.KiamServiceGrpc;
import io.kiam.proto.v1.NodeEvent;
import io.kiam.proto.v1.WatchNodeRequest;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one WatchNode subscription alive and feeds the {@link NodeView}. The server sends a
 * heartbeat every {@code heartbeat}; a stream silent for three of them is a server that died
 * silently (gRPC keepalive cannot ping more often than every 10 s), so it is cancelled and the
 * agent subscribes again, to another server than the last subscription's when one is connected.
 * Memory answers meanwhile.
 */
final class NodeStream implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeStream.class);

  static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(1);
  private static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(2);

  /** How often an older server is asked again whether it has learnt WatchNode. */
  private static final Duration UNSUPPORTED_RETRY = Duration.ofSeconds(60);

  private final Channel channel;
  private final String nodeName;
  private final NodeView view;
  private final ScheduledExecutorService timer;
  private final Duration heartbeat;
  private final LongSupplier nanoTime;
  private Subscription current;

  /** The servers the latest subscription went to, so that the next one avoids a silent one. */
  private TriedServers lastTried;

  private Duration backoff = FIRST_BACKOFF;
  private boolean closed;

  NodeStream(
      Channel channel,
      String nodeName,
      NodeView view,
      ScheduledExecutorService timer,
      Duration heartbeat,
      LongSupplier nanoTime) {
    this.channel = channel;
    this.nodeName = nodeName;
    this.view = view;
    this.timer = timer;
    this.heartbeat = heartbeat;
    this.nanoTime = nanoTime;
  }

  void start() {
    subscribe();
    long tick = Math.max(50, heartbeat.toMillis() / 2);
    timer.scheduleWithFixedDelay(this::watchdog, tick, tick, TimeUnit.MILLISECONDS);
  }

  private synchronized void subscribe() {
    if (closed) {
      return;
    }
    // Not to the server the last subscription went to when another one is connected: that one
    // went silent or ended the stream, and round robin's shared turn might send us back to it.
    TriedServers tried = TriedServers.after(lastTried);
    lastTried = tried;
    ClientCall<WatchNodeRequest, NodeEvent> call =
        channel.newCall(KiamServiceGrpc.getWatchNodeMethod(), tried.on(CallOptions.DEFAULT));
    Subscription subscription = new Subscription(call, nanoTime.getAsLong());
    current = subscription;
    view.subscribed();
    ClientCalls.asyncServerStreamingCall(
        call,
        WatchNodeRequest.newBuilder()
            .setNodeName(nodeName)
            .setHeartbeatIntervalMillis((int) heartbeat.toMillis())
            .build(),
        subscription);
  }

  /** Cancels a subscription that has been silent for three heartbeats, and subscribes again. */
  private synchronized void watchdog() {
    Subscription s = current;
    if (s == null || nanoTime.getAsLong() - s.lastMessage <= 3 * heartbeat.toNanos()) {
      return;
    }
    log.atWarn()
        .addKeyValue("node.name", nodeName)
        .log("kiam-server stream silent for {}ms; subscribing again", 3 * heartbeat.toMillis());
    current = null;
    s.call.cancel("silent for three heartbeats", null);
    view.lost();
    subscribe();
  }

  private synchronized void ended(Subscription s, Status status) {
    if (current != s) {
      return;
    }
    current = null;
    if (status.getCode() == Status.Code.UNIMPLEMENTED) {
      if (view.state() != NodeView.State.UNSUPPORTED) {
        log.atInfo().log(
            "kiam-server has no WatchNode (an older version): asking it for every request");
      }
      view.unsupported();
      later(UNSUPPORTED_RETRY);
      return;
    }
    view.lost();
    log.atWarn()
        .addKeyValue("node.name", nodeName)
        .addKeyValue("grpc.code", status.getCode())
        .log("kiam-server stream ended, subscribing again in {}ms", backoff.toMillis());
    later(backoff);
    backoff =
        backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
  }

  private void later(Duration delay) {
    if (!timer.isShutdown()) {
      timer.schedule(this::subscribe, delay.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  private synchronized void received(Subscription s, NodeEvent event) {
    if (current != s) {
      return;
    }
    s.lastMessage = nanoTime.getAsLong();
    switch (event.getEventCase()) {
      case ASSIGNED ->
          view.assigned(event.getAssigned().getIp(), StatusMapping.access(event.getAssigned()));
      case REMOVED -> view.removed(event.getRemoved().getIp());
      case SNAPSHOT_COMPLETE -> {
        view.snapshotComplete();
        backoff = FIRST_BACKOFF;
        log.atInfo()
            .addKeyValue("node.name", nodeName)
            .addKeyValue("pods", event.getSnapshotComplete().getAssignments())
            .log("node stream live: answering this node's pods from memory");
      }
      default -> {
        // Heartbeat: the stream and the server are alive.
      }
    }
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (current != null) {
      current.call.cancel("agent stopping", null);
      current = null;
    }
  }

  private final class Subscription implements StreamObserver<NodeEvent> {
    final ClientCall<WatchNodeRequest, NodeEvent> call;
    volatile long lastMessage;

    Subscription(ClientCall<WatchNodeRequest, NodeEvent> call, long now) {
      this.call = call;
      this.lastMessage = now;
    }

    @Override
    public void onNext(NodeEvent event) {
      received(this, event);
    }

    @Override
    public void onError(Throwable t) {
      ended(this, Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      ended(this, Status.UNAVAILABLE.withDescription("server ended the stream"));
    }
  }
}
