package io.kiam.server;

import io.grpc.stub.StreamObserver;
import io.kiam.proto.v1.IpAssignment;
import io.kiam.proto.v1.NodeEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The test's agent on the client end of WatchNode: applies each event as an agent does (an
 * assignment replaces the IP's entry, a removal deletes it), records them all, and lets a test wait
 * for a condition on what it has received, never on time.
 */
final class StreamRecorder implements StreamObserver<NodeEvent> {
  private final Map<String, IpAssignment> byIp = new HashMap<>();
  private final List<NodeEvent> events = new ArrayList<>();
  private int heartbeats;
  private boolean snapshotComplete;
  private Throwable error;
  private boolean completed;

  @Override
  public synchronized void onNext(NodeEvent event) {
    switch (event.getEventCase()) {
      case ASSIGNED -> byIp.put(event.getAssigned().getIp(), event.getAssigned());
      case REMOVED -> byIp.remove(event.getRemoved().getIp());
      case SNAPSHOT_COMPLETE -> snapshotComplete = true;
      case HEARTBEAT -> heartbeats++;
      default -> throw new AssertionError("unexpected event " + event);
    }
    if (event.getEventCase() != NodeEvent.EventCase.HEARTBEAT) {
      events.add(event);
    }
    notifyAll();
  }

  @Override
  public synchronized void onError(Throwable t) {
    error = t;
    notifyAll();
  }

  @Override
  public synchronized void onCompleted() {
    completed = true;
    notifyAll();
  }

  /** Waits until {@code condition} holds; fails with what was received when it never does. */
  synchronized void await(String what, Predicate<StreamRecorder> condition, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.test(this)) {
      if (error != null || completed) {
        throw new AssertionError(
            "the stream ended (" + error + ") before " + what + "; received " + events);
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError("timed out waiting for " + what + "; received " + events);
      }
      wait(Math.max(1, left / 1_000_000));
    }
  }

  synchronized IpAssignment at(String ip) {
    return byIp.get(ip);
  }

  synchronized Map<String, IpAssignment> view() {
    return new HashMap<>(byIp);
  }

  synchronized List<NodeEvent> events() {
    return new ArrayList<>(events);
  }

  synchronized boolean snapshotComplete() {
    return snapshotComplete;
  }

  synchronized int heartbeats() {
    return heartbeats;
  }

  synchronized Throwable error() {
    return error;
  }
}
