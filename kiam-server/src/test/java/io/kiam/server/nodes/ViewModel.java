package io.kiam.server.nodes;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The test's agent: applies a node's IP views the way an agent applies the stream (an assignment
 * replaces the IP's entry, a removal deletes it) and remembers everything it was sent.
 */
final class ViewModel implements NodeSubscriber {
  final Map<String, IpView> byIp = new HashMap<>();
  final List<IpView> received = new CopyOnWriteArrayList<>();
  volatile int snapshots;
  volatile String endedBecause;

  @Override
  public synchronized void changed(IpView view) {
    received.add(view);
    if (view instanceof IpView.Removed) {
      byIp.remove(view.ip());
    } else {
      byIp.put(view.ip(), view);
    }
  }

  @Override
  public void snapshotComplete(int assignments) {
    snapshots++;
  }

  @Override
  public void ended(String reason) {
    endedBecause = reason;
  }

  synchronized Map<String, IpView> copy() {
    return new HashMap<>(byIp);
  }
}
