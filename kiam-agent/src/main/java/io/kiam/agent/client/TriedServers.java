package io.kiam.agent.client;

import io.grpc.CallOptions;
import io.grpc.EquivalentAddressGroup;
import java.util.ArrayList;
import java.util.List;

/**
 * The servers one call's attempts went to, in order, carried in the call's options so that {@link
 * SkipTriedBalancer} sends the next attempt to a server not tried yet, whatever other calls (the
 * node stream's re-subscriptions, other pods) did to round robin's turn in between.
 */
final class TriedServers {
  static final CallOptions.Key<TriedServers> KEY = CallOptions.Key.create("kiam.tried-servers");

  // Attempts of one call follow each other, but gRPC may pick on another thread than ours.
  private final List<EquivalentAddressGroup> picked = new ArrayList<>();

  /** A record for a new call that avoids the server {@code previous} went to last, if any. */
  static TriedServers after(TriedServers previous) {
    TriedServers next = new TriedServers();
    EquivalentAddressGroup last = previous == null ? null : previous.last();
    if (last != null) {
      next.picked(last);
    }
    return next;
  }

  synchronized void picked(EquivalentAddressGroup server) {
    picked.add(server);
  }

  synchronized boolean contains(EquivalentAddressGroup server) {
    return picked.contains(server);
  }

  /** The server of the latest attempt, or null before the first. */
  synchronized EquivalentAddressGroup last() {
    return picked.isEmpty() ? null : picked.get(picked.size() - 1);
  }

  /** The latest attempt's server for logs: its address, or "none". */
  String lastAddress() {
    EquivalentAddressGroup last = last();
    return last == null || last.getAddresses().isEmpty()
        ? "none"
        : last.getAddresses().get(0).toString();
  }

  CallOptions on(CallOptions options) {
    return options.withOption(KEY, this);
  }
}
