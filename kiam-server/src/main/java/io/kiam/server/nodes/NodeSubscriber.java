package io.kiam.server.nodes;

/**
 * Receives one node's IP views: the snapshot, its end, then changes. Called on the fan-out thread,
 * one call at a time: implementations queue and return, they never block.
 */
public interface NodeSubscriber {
  /** The IP now answers {@code view} (a snapshot entry or a change). */
  void changed(IpView view);

  /** Every entry of the snapshot has been given. */
  void snapshotComplete(int assignments);

  /** The server is going away: no more changes will come. */
  void ended(String reason);
}
