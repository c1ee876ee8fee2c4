package io.kiam.server.grpc;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.kiam.proto.v1.Heartbeat;
import io.kiam.proto.v1.NodeEvent;
import io.kiam.proto.v1.SnapshotComplete;
import io.kiam.server.nodes.IpView;
import io.kiam.server.nodes.NodeSubscriber;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One agent's WatchNode call: a bounded queue between the fan-out thread and gRPC's flow control.
 * Changes for the same IP coalesce (only the latest is worth sending); when more IPs are waiting
 * than the bound allows, the agent is not reading, so the call ends with RESOURCE_EXHAUSTED and the
 * agent resubscribes for a fresh snapshot. Nothing here ever blocks the fan-out thread.
 */
final class NodeStreamCall implements NodeSubscriber {
  private static final Logger log = LoggerFactory.getLogger(NodeStreamCall.class);

  /** IPs waiting to be sent beyond which the agent is taken to be stuck. */
  static final int MAX_PENDING = 1024;

  private static final String SNAPSHOT_DONE = "\u0000snapshot-complete";
  private static final NodeEvent HEARTBEAT =
      NodeEvent.newBuilder().setHeartbeat(Heartbeat.getDefaultInstance()).build();

  private final String node;
  private final ServerCallStreamObserver<NodeEvent> call;
  private final int maxPending;
  private final LinkedHashMap<String, NodeEvent> pending = new LinkedHashMap<>();
  private Runnable onEnd = () -> {};
  private boolean done;

  NodeStreamCall(String node, ServerCallStreamObserver<NodeEvent> call, int maxPending) {
    this.node = node;
    this.call = call;
    this.maxPending = maxPending;
  }

  /** What to run once when the call ends, however it ends (unsubscribe, stop heartbeats). */
  synchronized void onEnd(Runnable action) {
    if (done) {
      action.run();
    } else {
      onEnd = action;
    }
  }

  @Override
  public void changed(IpView view) {
    enqueue(view.ip(), WireMessages.event(view));
  }

  @Override
  public void snapshotComplete(int assignments) {
    enqueue(
        SNAPSHOT_DONE,
        NodeEvent.newBuilder()
            .setSnapshotComplete(SnapshotComplete.newBuilder().setAssignments(assignments))
            .build());
  }

  @Override
  public void ended(String reason) {
    finish(Status.UNAVAILABLE.withDescription(reason));
  }

  /** Sends a heartbeat when nothing else is waiting (anything sent proves the path is alive). */
  synchronized void heartbeat() {
    if (!done && pending.isEmpty() && call.isReady()) {
      call.onNext(HEARTBEAT);
    }
  }

  /** gRPC's transport can take more. */
  synchronized void drain() {
    Iterator<Map.Entry<String, NodeEvent>> next = pending.entrySet().iterator();
    while (!done && next.hasNext() && call.isReady()) {
      NodeEvent event = next.next().getValue();
      next.remove();
      call.onNext(event);
    }
  }

  /** The agent went away. */
  synchronized void cancelled() {
    if (!done) {
      done = true;
      pending.clear();
      onEnd.run();
    }
  }

  private synchronized void enqueue(String key, NodeEvent event) {
    if (done) {
      return;
    }
    pending.put(key, event);
    if (pending.size() > maxPending) {
      log.atWarn()
          .addKeyValue("node", node)
          .addKeyValue("pending", pending.size())
          .log("node stream fell behind; ending it so the agent resubscribes");
      finish(
          Status.RESOURCE_EXHAUSTED.withDescription(
              "this stream fell more than "
                  + maxPending
                  + " changes behind; resubscribe for a fresh snapshot"));
      return;
    }
    drain();
  }

  private synchronized void finish(Status status) {
    if (done) {
      return;
    }
    done = true;
    pending.clear();
    try {
      call.onError(status.asRuntimeException());
    } catch (IllegalStateException e) {
      // Already cancelled by the agent.
    }
    onEnd.run();
  }
}
