package io.kiam.server.grpc;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.kiam.proto.v1.NodeEvent;
import io.kiam.proto.v1.WatchNodeRequest;
import io.kiam.server.nodes.NodeStreams;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** WatchNode's adapter: checks the request, subscribes the call and times its heartbeats. */
final class NodeWatch {
  private static final Logger log = LoggerFactory.getLogger(KiamGrpcService.class);
  private static final int MAX_NODE_NAME_LENGTH = 253;
  private static final long DEFAULT_HEARTBEAT_MILLIS = 1000;
  private static final long MIN_HEARTBEAT_MILLIS = 200;
  private static final long MAX_HEARTBEAT_MILLIS = 60_000;

  private final NodeStreams nodeStreams;
  private final ScheduledExecutorService heartbeats;
  private final BooleanSupplier ready;

  NodeWatch(NodeStreams nodeStreams, ScheduledExecutorService heartbeats, BooleanSupplier ready) {
    this.nodeStreams = nodeStreams;
    this.heartbeats = heartbeats;
    this.ready = ready;
  }

  void watch(WatchNodeRequest request, StreamObserver<NodeEvent> observer) {
    if (!ready.getAsBoolean()) {
      observer.onError(
          Status.UNAVAILABLE
              .withDescription("the server's pod and namespace caches have not synced yet")
              .asRuntimeException());
      return;
    }
    String node = request.getNodeName();
    if (node.isBlank() || node.length() > MAX_NODE_NAME_LENGTH) {
      observer.onError(
          Status.INVALID_ARGUMENT
              .withDescription("the node name is empty or longer than 253 characters")
              .asRuntimeException());
      return;
    }
    ServerCallStreamObserver<NodeEvent> call = (ServerCallStreamObserver<NodeEvent>) observer;
    NodeStreamCall stream = new NodeStreamCall(node, call, NodeStreamCall.MAX_PENDING);
    call.setOnReadyHandler(stream::drain);
    call.setOnCancelHandler(stream::cancelled);
    long every = heartbeatMillis(request.getHeartbeatIntervalMillis());
    ScheduledFuture<?> beats =
        heartbeats.scheduleAtFixedRate(stream::heartbeat, every, every, TimeUnit.MILLISECONDS);
    NodeStreams.Subscription subscription = nodeStreams.subscribe(node, stream);
    stream.onEnd(
        () -> {
          beats.cancel(false);
          subscription.close();
          log.atDebug().addKeyValue("node", node).log("node stream ended");
        });
    log.atDebug()
        .addKeyValue("node", node)
        .addKeyValue("heartbeat.ms", every)
        .log("node stream opened");
  }

  /** The requested heartbeat interval, defaulted and clamped (see kiam.proto). */
  static long heartbeatMillis(int requested) {
    if (requested <= 0) {
      return DEFAULT_HEARTBEAT_MILLIS;
    }
    return Math.max(MIN_HEARTBEAT_MILLIS, Math.min(MAX_HEARTBEAT_MILLIS, requested));
  }
}
