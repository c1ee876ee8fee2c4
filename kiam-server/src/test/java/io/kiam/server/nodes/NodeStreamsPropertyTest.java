package io.kiam.server.nodes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.Pod;
import io.kiam.server.events.PodEvents;
import io.kiam.server.k8s.NamespaceStore;
import io.kiam.server.k8s.PodInfo;
import io.kiam.server.k8s.PodLookup;
import io.kiam.server.k8s.PodStore;
import io.kiam.server.policy.ArnResolver;
import io.kiam.server.policy.Decision;
import io.kiam.server.policy.RolePolicy;
import io.kiam.server.roles.DecisionLog;
import io.kiam.server.roles.PodRoles;
import io.kiam.server.sts.DefaultArnResolver;
import io.kiam.server.sts.IssuedCredentials;
import io.kiam.server.sts.RoleRequest;
import io.kiam.server.testing.TestPods;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Randomised churn over the server's pod and namespace stores (create, delete, terminate, mark
 * deleting, reuse an IP, change a role annotation, change a namespace's expression, refresh
 * credentials, resubscribe), checking after each step, once the stream has delivered it, that every
 * node's view as an agent applies it equals the server's own answer for every IP, and that no
 * message delivered after the store saw an IP leave a pod ever gives the IP back to that pod.
 *
 * <p>The seed is printed in every failure; rerun with {@code -Dkiam.seed=N} to reproduce.
 */
@Timeout(300)
class NodeStreamsPropertyTest {
  private static final String BASE = "arn:aws:iam::123456789012:role/";
  private static final List<String> NODES = List.of("node-0", "node-1", "node-2");
  private static final List<String> NAMESPACES = List.of("shop", "bank");
  private static final List<String> ROLES =
      List.of("shop-web", "shop-db", "bank-admin", BASE + "shop-arn", "", "bad role?");
  private static final List<String> EXPRESSIONS =
      List.of("shop-.*", "bank-.*", ".*", "shop-web", "(", "");
  private static final int IP_POOL = 24;
  private static final int MIN_EVENTS = 10_000;

  private final long seed = Long.getLong("kiam.seed", System.nanoTime());
  private final Random random = new Random(seed);
  private final PodStore pods = new PodStore(Runnable::run);
  private final NamespaceStore namespaces = new NamespaceStore();
  private final StableCredentials credentials = new StableCredentials();
  private final ArnResolver resolver = new DefaultArnResolver(BASE);
  private final PodRoles roles =
      new PodRoles(resolver, (a, s) -> "kiam-" + s, "test", namespaces, PodEvents.none());
  private final NodeStreams streams = new NodeStreams(pods, roles, credentials, new DecisionLog());

  private final Map<String, PodState> live = new LinkedHashMap<>();
  private final Map<String, ViewModel> agents = new HashMap<>();
  private final Map<String, NodeStreams.Subscription> subscriptions = new HashMap<>();
  private final Map<ViewModel, Integer> checkedUpTo = new HashMap<>();
  private final Set<String> leftPending = new HashSet<>();
  private final Set<String> leftDelivered = new HashSet<>();
  private int serial;
  private int events;

  @AfterEach
  void close() {
    streams.close();
  }

  @Test
  void everyNodesViewConvergesOnTheServersAnswerAndNeverGivesAnIpBackToAPodThatLeftIt()
      throws Exception {
    pods.addListener(streams);
    namespaces.onPermissionChange(streams::namespaceChanged);
    for (String ns : NAMESPACES) {
      namespaces.put(ns, TestPods.namespace(ns, ns + "-.*"));
    }
    for (String node : NODES) {
      subscribe(node);
    }
    int steps = 0;
    while (events < MIN_EVENTS) {
      int burst = 1 + random.nextInt(3);
      for (int i = 0; i < burst; i++) {
        churn();
      }
      if (random.nextInt(400) == 0) {
        resubscribe(NODES.get(random.nextInt(NODES.size())));
      }
      streams.flushed().get(10, TimeUnit.SECONDS);
      steps++;
      for (String node : NODES) {
        check(node, steps);
      }
      leftDelivered.addAll(leftPending);
      leftPending.clear();
    }
    assertTrue(events >= MIN_EVENTS);
  }

  private void churn() {
    events++;
    int kind = random.nextInt(100);
    if (live.isEmpty() || kind < 30) {
      create(randomIp(), NODES.get(random.nextInt(NODES.size())));
    } else if (kind < 42) {
      PodState pod = any();
      leave(pod);
      pods.remove(pod.uid);
      live.remove(pod.uid);
    } else if (kind < 52) {
      PodState pod = any();
      leave(pod);
      pod.phase = random.nextBoolean() ? "Succeeded" : "Failed";
      put(pod);
      live.remove(pod.uid); // finished pods never come back; the store keeps them
    } else if (kind < 60) {
      PodState pod = any();
      pod.deleting = true;
      put(pod);
    } else if (kind < 75) {
      // IP reuse: the pod goes, a pod with another role gets its IP on the same node.
      PodState pod = any();
      leave(pod);
      pods.remove(pod.uid);
      live.remove(pod.uid);
      create(pod.ip, pod.node);
    } else if (kind < 88) {
      PodState pod = any();
      pod.role = ROLES.get(random.nextInt(ROLES.size()));
      put(pod);
    } else if (kind < 95) {
      String ns = NAMESPACES.get(random.nextInt(NAMESPACES.size()));
      String expression = EXPRESSIONS.get(random.nextInt(EXPRESSIONS.size()));
      namespaces.put(ns, TestPods.namespace(ns, expression.isEmpty() ? null : expression));
    } else {
      PodState pod = any();
      roles
          .request(pods.pods().filter(p -> p.uid().equals(pod.uid)).findFirst().orElseThrow())
          .ifPresent(
              request -> {
                credentials.refresh(request);
                streams.credentialsChanged(request);
              });
    }
  }

  private void create(String ip, String node) {
    PodState pod = new PodState();
    pod.uid = "uid-" + (++serial);
    pod.namespace = NAMESPACES.get(random.nextInt(NAMESPACES.size()));
    pod.name = "pod-" + serial;
    pod.node = node;
    pod.ip = random.nextInt(20) == 0 ? null : ip;
    pod.phase = random.nextInt(5) == 0 ? "Pending" : "Running";
    pod.role = ROLES.get(random.nextInt(ROLES.size()));
    live.put(pod.uid, pod);
    put(pod);
  }

  private void put(PodState pod) {
    pod.resourceVersion++;
    pods.put(pod.uid, pod.toPod());
  }

  /** The pod is about to stop owning its IP. */
  private void leave(PodState pod) {
    if (pod.ip != null) {
      leftPending.add(pod.ip + "|" + pod.uid);
    }
  }

  private PodState any() {
    List<PodState> all = new ArrayList<>(live.values());
    return all.get(random.nextInt(all.size()));
  }

  private String randomIp() {
    return "10.0.0." + (1 + random.nextInt(IP_POOL));
  }

  private void subscribe(String node) {
    ViewModel agent = new ViewModel();
    agents.put(node, agent);
    checkedUpTo.put(agent, 0);
    subscriptions.put(node, streams.subscribe(node, agent));
  }

  private void resubscribe(String node) {
    subscriptions.get(node).close();
    subscribe(node);
  }

  private void check(String node, int step) {
    ViewModel agent = agents.get(node);
    String where = "seed " + seed + ", step " + step + ", event " + events + ", " + node;
    assertTrue(agent.snapshots == 1, where + ": the snapshot was completed once");
    List<IpView> received = agent.received;
    for (int i = checkedUpTo.get(agent); i < received.size(); i++) {
      IpView view = received.get(i);
      String owner = uidOf(view);
      if (owner != null && leftDelivered.contains(view.ip() + "|" + owner)) {
        fail(where + ": " + view.ip() + " was given back to " + owner + " after it left");
      }
    }
    checkedUpTo.put(agent, received.size());

    Map<String, IpView> held = agent.copy();
    for (int n = 1; n <= IP_POOL; n++) {
      String ip = "10.0.0." + n;
      IpView actual = held.get(ip);
      PodLookup lookup = pods.findByIp(ip);
      if (lookup instanceof PodLookup.Found found && found.pod().onNode(node)) {
        PodInfo pod = found.pod();
        Decision decision =
            RolePolicy.decide(
                pod,
                namespaces.findNamespace(pod.namespace()),
                pod.hasRole() ? pod.role() : "",
                resolver);
        if (!(actual instanceof IpView.Assigned assigned)) {
          fail(where + ": " + ip + " should answer " + pod.uid() + " but holds " + actual);
          return;
        }
        assertEquals(pod.uid(), assigned.pod().uid(), where + ": owner of " + ip);
        assertEquals(decision, assigned.decision(), where + ": decision for " + ip);
        IssuedCredentials expected = null;
        if (decision instanceof Decision.Allowed allowed) {
          RoleRequest request = roles.request(pod, allowed);
          expected = credentials.credentials(request).join();
        }
        assertEquals(expected, assigned.credentials(), where + ": credentials for " + ip);
      } else if (lookup instanceof PodLookup.Ambiguous ambiguous
          && ambiguous.pods().stream().anyMatch(p -> p.onNode(node))) {
        if (!(actual instanceof IpView.Conflicted conflicted)) {
          fail(where + ": " + ip + " is claimed twice but holds " + actual);
          return;
        }
        assertTrue(
            ambiguous.pods().stream().anyMatch(p -> p.uid().equals(conflicted.pod().uid())),
            where + ": conflict on " + ip);
      } else {
        assertEquals(null, actual, where + ": " + ip + " belongs to no pod of the node");
      }
    }
  }

  private static String uidOf(IpView view) {
    if (view instanceof IpView.Assigned a) {
      return a.pod().uid();
    }
    if (view instanceof IpView.Conflicted c) {
      return c.pod().uid();
    }
    return null;
  }

  /** The test's own record of a pod it created. */
  private static final class PodState {
    String uid;
    String namespace;
    String name;
    String node;
    String ip;
    String phase;
    String role;
    boolean deleting;
    int resourceVersion;

    Pod toPod() {
      TestPods.Spec spec =
          TestPods.pod(namespace, name)
              .uid(uid)
              .node(node)
              .ip(ip)
              .phase(phase)
              .role(role)
              .resourceVersion(Integer.toString(resourceVersion));
      if (deleting) {
        spec.deleting();
      }
      return spec.build();
    }
  }
}
