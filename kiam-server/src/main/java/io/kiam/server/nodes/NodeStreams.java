package io.kiam.server.nodes;

import io.kiam.server.k8s.NamespaceInfo;
import io.kiam.server.k8s.PodInfo;
import io.kiam.server.k8s.PodListener;
import io.kiam.server.k8s.PodLookup;
import io.kiam.server.k8s.PodStore;
import io.kiam.server.policy.Decision;
import io.kiam.server.roles.DecisionLog;
import io.kiam.server.roles.PodRoles;
import io.kiam.server.sts.CredentialsSource;
import io.kiam.server.sts.IssuedCredentials;
import io.kiam.server.sts.RoleRequest;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node streams' engine: for each subscribed node, what every IP of its pods answers, sent as a
 * snapshot and then as changes whenever a pod event, a namespace's permission or a credential
 * refresh changes an answer.
 *
 * <p>All work runs on one fan-out thread, in the order the events happened: the informer and the
 * credential cache only enqueue. Each change recomputes the affected IPs from the pod store's
 * current state, so a stream converges on the store whatever was coalesced or reordered on the way;
 * an answer is sent only when it differs from what the stream holds.
 */
public final class NodeStreams implements PodListener, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeStreams.class);

  private final PodStore pods;
  private final PodRoles roles;
  private final CredentialsSource credentials;
  private final DecisionLog decisions;
  private final ExecutorService fanOut;
  private final AtomicInteger subscribers = new AtomicInteger();

  // Fan-out thread only.
  private final Map<String, List<Stream>> streamsByNode = new HashMap<>();
  private final Map<String, Set<String>> nodesByIp = new HashMap<>();

  public NodeStreams(
      PodStore pods, PodRoles roles, CredentialsSource credentials, DecisionLog decisions) {
    this.pods = Objects.requireNonNull(pods, "pods");
    this.roles = Objects.requireNonNull(roles, "roles");
    this.credentials = Objects.requireNonNull(credentials, "credentials");
    this.decisions = Objects.requireNonNull(decisions, "decisions");
    this.fanOut =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "kiam-node-streams");
              t.setDaemon(true);
              return t;
            });
  }

  /** A subscription to one node; closing it stops the changes (idempotent, never blocks). */
  public interface Subscription extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * Sends {@code subscriber} the node's snapshot, then its changes, until the subscription closes.
   */
  public Subscription subscribe(String node, NodeSubscriber subscriber) {
    Stream stream = new Stream(node, subscriber);
    subscribers.incrementAndGet();
    if (!run(() -> snapshot(stream))) {
      subscribers.decrementAndGet();
      subscriber.ended("the server is shutting down");
      return () -> {};
    }
    return () -> {
      if (stream.closed.compareAndSet(false, true)) {
        subscribers.decrementAndGet();
        run(() -> forget(stream));
      }
    };
  }

  /** How many streams are subscribed now. */
  public int subscriptions() {
    return subscribers.get();
  }

  @Override
  public void podChanged(PodInfo before, PodInfo after) {
    if (subscribers.get() == 0) {
      // Nothing to tell; a later snapshot reads the store, which already holds this change.
      return;
    }
    Set<String> ips = new LinkedHashSet<>();
    if (before != null) {
      ips.addAll(before.ips());
    }
    if (after != null) {
      ips.addAll(after.ips());
    }
    if (!ips.isEmpty()) {
      run(() -> recompute(ips));
    }
  }

  /** A namespace's permitted expression changed: its pods' decisions may have. */
  public void namespaceChanged(NamespaceInfo namespace) {
    if (subscribers.get() == 0) {
      return;
    }
    run(
        () -> {
          Set<String> ips = new LinkedHashSet<>();
          for (String node : streamsByNode.keySet()) {
            for (PodInfo pod : pods.podsOnNode(node)) {
              if (pod.namespace().equals(namespace.name())) {
                ips.addAll(pod.ips());
              }
            }
          }
          recompute(ips);
        });
  }

  /** The credential cache changed what it holds for {@code request}. */
  public void credentialsChanged(RoleRequest request) {
    if (subscribers.get() == 0) {
      return;
    }
    run(
        () -> {
          Set<String> ips = new LinkedHashSet<>();
          for (List<Stream> streams : streamsByNode.values()) {
            for (Stream stream : streams) {
              stream.view.forEach(
                  (ip, view) -> {
                    if (view instanceof IpView.Assigned a && request.equals(a.request())) {
                      ips.add(ip);
                    }
                  });
            }
          }
          recompute(ips);
        });
  }

  /** Completes once every change enqueued before this call has been handed to the subscribers. */
  public CompletableFuture<Void> flushed() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (!run(() -> done.complete(null))) {
      done.complete(null);
    }
    return done;
  }

  /** Ends every stream (the server is going away) and stops the fan-out thread. */
  @Override
  public void close() {
    run(
        () -> {
          for (List<Stream> streams : streamsByNode.values()) {
            for (Stream stream : streams) {
              stream.subscriber.ended("the server is shutting down; subscribe to another");
            }
          }
          streamsByNode.clear();
          nodesByIp.clear();
        });
    fanOut.shutdown();
    try {
      if (!fanOut.awaitTermination(2, TimeUnit.SECONDS)) {
        fanOut.shutdownNow();
      }
    } catch (InterruptedException e) {
      fanOut.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  private boolean run(Runnable task) {
    try {
      fanOut.execute(
          () -> {
            try {
              task.run();
            } catch (RuntimeException e) {
              log.error("node stream fan-out failed", e);
            }
          });
      return true;
    } catch (RejectedExecutionException e) {
      return false;
    }
  }

  private void snapshot(Stream stream) {
    if (stream.closed.get()) {
      return;
    }
    streamsByNode.computeIfAbsent(stream.node, n -> new ArrayList<>()).add(stream);
    Set<String> ips = new LinkedHashSet<>();
    for (PodInfo pod : pods.podsOnNode(stream.node)) {
      if (pod.ownsIps()) {
        ips.addAll(pod.ips());
      }
    }
    int sent = 0;
    for (String ip : ips) {
      IpView view = viewFor(stream.node, ip, pods.findByIp(ip));
      if (!(view instanceof IpView.Removed)) {
        stream.view.put(ip, view);
        nodesByIp.computeIfAbsent(ip, k -> new HashSet<>()).add(stream.node);
        stream.subscriber.changed(view);
        sent++;
      }
    }
    stream.subscriber.snapshotComplete(sent);
    log.atDebug()
        .addKeyValue("node", stream.node)
        .addKeyValue("assignments", sent)
        .log("node stream subscribed; snapshot sent");
  }

  private void forget(Stream stream) {
    List<Stream> streams = streamsByNode.get(stream.node);
    if (streams == null) {
      return;
    }
    streams.remove(stream);
    if (streams.isEmpty()) {
      streamsByNode.remove(stream.node);
    }
    for (String ip : stream.view.keySet()) {
      boolean held = streams.stream().anyMatch(other -> other.view.containsKey(ip));
      if (!held) {
        Set<String> nodes = nodesByIp.get(ip);
        if (nodes != null) {
          nodes.remove(stream.node);
          if (nodes.isEmpty()) {
            nodesByIp.remove(ip);
          }
        }
      }
    }
  }

  /** Recomputes each IP for every node that holds it or has a pod claiming it. */
  private void recompute(Collection<String> ips) {
    for (String ip : ips) {
      Set<String> nodes = new HashSet<>();
      for (PodInfo claimant : pods.claimants(ip)) {
        if (claimant.nodeName() != null) {
          nodes.add(claimant.nodeName());
        }
      }
      Set<String> held = nodesByIp.get(ip);
      if (held != null) {
        nodes.addAll(held);
      }
      PodLookup lookup = pods.findByIp(ip);
      Set<String> stillHeld = new HashSet<>();
      for (String node : nodes) {
        List<Stream> streams = streamsByNode.get(node);
        if (streams == null) {
          continue;
        }
        IpView next = viewFor(node, ip, lookup);
        for (Stream stream : streams) {
          apply(stream, next);
          if (stream.view.containsKey(ip)) {
            stillHeld.add(node);
          }
        }
      }
      if (stillHeld.isEmpty()) {
        nodesByIp.remove(ip);
      } else {
        nodesByIp.put(ip, stillHeld);
      }
    }
  }

  private static void apply(Stream stream, IpView next) {
    IpView previous = stream.view.get(next.ip());
    if (next instanceof IpView.Removed) {
      if (previous != null) {
        stream.view.remove(next.ip());
        stream.subscriber.changed(new IpView.Removed(next.ip(), uidOf(previous)));
      }
      return;
    }
    stream.view.put(next.ip(), next);
    if (previous == null || !previous.sameAnswer(next)) {
      stream.subscriber.changed(next);
    }
  }

  private IpView viewFor(String node, String ip, PodLookup lookup) {
    if (lookup instanceof PodLookup.Found found) {
      return found.pod().onNode(node) ? assigned(ip, found.pod()) : new IpView.Removed(ip, "");
    }
    if (lookup instanceof PodLookup.Ambiguous ambiguous) {
      for (PodInfo pod : ambiguous.pods()) {
        if (pod.onNode(node)) {
          return new IpView.Conflicted(ip, pod, ambiguous.explanation());
        }
      }
    }
    return new IpView.Removed(ip, "");
  }

  private IpView assigned(String ip, PodInfo pod) {
    Decision decision = roles.decideOwn(pod);
    if (!(decision instanceof Decision.Allowed allowed)) {
      decisions.refused(pod, ip, decision);
      return new IpView.Assigned(ip, pod, decision, null, null);
    }
    RoleRequest request = roles.request(pod, allowed);
    CompletableFuture<IssuedCredentials> held = credentials.credentials(request);
    IssuedCredentials current = null;
    if (held.isDone()) {
      if (!held.isCompletedExceptionally()) {
        current = held.join();
        decisions.issued(pod, ip, allowed, current);
      }
    } else {
      // Sent without credentials now, with them once the cache has them.
      held.whenComplete((ok, failure) -> run(() -> recompute(List.of(ip))));
    }
    return new IpView.Assigned(ip, pod, decision, current, request);
  }

  private static String uidOf(IpView view) {
    if (view instanceof IpView.Assigned a) {
      return a.pod().uid();
    }
    if (view instanceof IpView.Conflicted c) {
      return c.pod().uid();
    }
    return "";
  }

  /** One subscriber's state: what it has been told, per IP. */
  private static final class Stream {
    final String node;
    final NodeSubscriber subscriber;
    final Map<String, IpView> view = new HashMap<>();
    final java.util.concurrent.atomic.AtomicBoolean closed =
        new java.util.concurrent.atomic.AtomicBoolean();

    Stream(String node, NodeSubscriber subscriber) {
      this.node = node;
      this.subscriber = subscriber;
    }
  }
}
