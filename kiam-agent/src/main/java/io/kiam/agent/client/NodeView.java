package io.kiam.agent.client;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The agent's memory of its node's pods, fed by the servers' WatchNode stream: IP to what the
 * servers decided. Lookups are lock-free; the stream's thread writes.
 *
 * <p>An entry may answer a pod only while the stream is live, or for {@code grace} after it was
 * lost (no server reachable): an IP freed and reused during an outage is the risk the grace bounds.
 * After a resubscription the new snapshot replaces the whole map.
 */
final class NodeView {
  /** Where the stream stands. */
  enum State {
    /** No snapshot yet: every IP is asked of a server, with the unary calls of old. */
    STARTING,
    /** Snapshot received and changes flowing: memory answers. */
    LIVE,
    /** The stream was lost; memory answers for the grace. */
    DISCONNECTED,
    /** The servers have no WatchNode (an older version): the agent asks for every request. */
    UNSUPPORTED
  }

  private final Duration grace;
  private final LongSupplier nanoTime;
  private volatile Map<String, PodAccess> current = new ConcurrentHashMap<>();
  private Map<String, PodAccess> building;
  private volatile State state = State.STARTING;
  private volatile long lostAt;

  /** How many stream events touched each IP; a cold answer older than one is not remembered. */
  private final Map<String, Long> touched = new ConcurrentHashMap<>();

  NodeView(Duration grace, LongSupplier nanoTime) {
    this.grace = grace;
    this.nanoTime = nanoTime;
  }

  /** The entry memory may answer {@code ip} with now, or null: ask a server. */
  PodAccess lookup(String ip) {
    State s = state;
    if (s == State.LIVE || (s == State.DISCONNECTED && withinGrace())) {
      return current.get(ip);
    }
    return null;
  }

  State state() {
    return state;
  }

  /**
   * Whether the servers have streamed to this agent (live now or lost since): then they speak the
   * one-call cold path too. Before the first snapshot, and against older servers, ask as before.
   */
  boolean streamed() {
    State s = state;
    return s == State.LIVE || s == State.DISCONNECTED;
  }

  /** Why memory does not answer known pods (for the 503), or empty when it does. */
  String outage() {
    if (state != State.DISCONNECTED || withinGrace()) {
      return "";
    }
    long seconds = Duration.ofNanos(nanoTime.getAsLong() - lostAt).toSeconds();
    return "no kiam-server stream for "
        + seconds
        + "s, beyond --disconnected-grace "
        + grace.toSeconds()
        + "s";
  }

  private boolean withinGrace() {
    return nanoTime.getAsLong() - lostAt <= grace.toNanos();
  }

  /** A new subscription: its snapshot builds a fresh map while the old one keeps answering. */
  synchronized void subscribed() {
    building = new HashMap<>();
  }

  synchronized void assigned(String ip, PodAccess access) {
    touched.merge(ip, 1L, Long::sum);
    if (building != null) {
      building.put(ip, access);
    } else {
      current.put(ip, access);
    }
  }

  synchronized void removed(String ip) {
    touched.merge(ip, 1L, Long::sum);
    if (building != null) {
      building.remove(ip);
    } else {
      current.remove(ip);
    }
  }

  /** The snapshot is whole: it replaces memory, and memory answers again. */
  synchronized void snapshotComplete() {
    if (building == null) {
      return;
    }
    Map<String, PodAccess> fresh = new ConcurrentHashMap<>(building);
    building = null;
    current = fresh;
    state = State.LIVE;
  }

  /** The stream ended or went silent; the grace starts now if memory was live. */
  synchronized void lost() {
    building = null;
    if (state == State.LIVE) {
      lostAt = nanoTime.getAsLong();
      state = State.DISCONNECTED;
    }
  }

  /** The servers do not know WatchNode. */
  synchronized void unsupported() {
    building = null;
    current = new ConcurrentHashMap<>();
    state = State.UNSUPPORTED;
  }

  /** A stamp to compare with {@link #unchangedSince} around a cold call. */
  long stamp(String ip) {
    return touched.getOrDefault(ip, 0L);
  }

  boolean unchangedSince(String ip, long stamp) {
    return stamp(ip) == stamp;
  }

  int size() {
    return current.size();
  }
}
