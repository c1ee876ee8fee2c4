package io.kiam.server.bench;

import static io.kiam.server.testing.TestPods.namespace;
import static io.kiam.server.testing.TestPods.running;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.ByteString;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import io.kiam.server.k8s.KubernetesCaches;
import io.kiam.server.k8s.NamespaceStore;
import io.kiam.server.k8s.PodLookup;
import io.kiam.server.k8s.PodStore;
import io.kiam.server.k8s.StaleViewException;
import io.kiam.server.k8s.StaleViewGuard;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An API-server outage during pod churn, against the server's own informers ({@link
 * KubernetesCaches}) and staleness guard ({@link StaleViewGuard}, with {@code --watch-stale-after}
 * THRESHOLD seconds), fed by fabric8's CRUD mock API server over real HTTP and WebSocket. PODS pods
 * are created; then, OUTAGES times: the watch is up for FRESH seconds (a reader asks for about half
 * the live IPs, so the guard knows them, and churn goes on), then the API goes silent for OUTAGE
 * seconds: the open watch WebSockets are closed, and lists and new watches are answered 503. The
 * churn goes on in the mock (CHURN pods a second deleted and replaced by pods with new uids, taking
 * IPs freed SPARE pods earlier, as a CNI's cool-down does), and a reader asks for QUERIES random
 * IPs a second through the guard. When the API comes back, the first pod watch is answered 410 Gone
 * (the mock cannot replay events from an old resourceVersion; kube-apiserver answers so once its
 * watch window has passed), so the informer relists.
 *
 * <p>Prints, per outage and as p50/p99 over all: the pod staleness reported at the outage's end;
 * when the guard began refusing; the reader's answers, classed by whether the IP's owner in the
 * mock changed before or during the outage, and whether the guard had answered that very pod while
 * fresh (while fresh, or before the threshold: "known"); and the recovery time: from the API's
 * return until the pod staleness is zero and the store holds every pod created during the outage
 * (and none it deleted). An answer naming a pod that is not the IP's owner in the mock at that
 * moment is "stale". Not a test: run it by hand (docs/operations.md "Sizing").
 *
 * <p>Arguments: pods churnPerSecond outageSeconds outages thresholdSeconds freshSeconds
 * queriesPerSecond spareIps.
 */
public final class ApiOutageBench {
  private static final String GONE =
      "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
          + "\"status\":\"Failure\",\"message\":\"too old resource version: 1 (42)\","
          + "\"reason\":\"Expired\",\"code\":410}}";
  private static final String NS = "outage";

  /** Held so the level sticks: the mock logs every request at INFO through java.util.logging. */
  private static final java.util.logging.Logger MOCK_LOG =
      java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

  private ApiOutageBench() {}

  /**
   * Serves the CRUD mock, except while silent: then the informers' lists and watches (GETs) are
   * answered 503 and the watch WebSockets open when it fell silent were closed. Writes (the churn)
   * always pass: the API is silent to the server, not to the cluster.
   */
  static final class OutageGate extends Dispatcher {
    private final Dispatcher crud;
    private final Set<WebSocket> watches = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean silent = new AtomicBoolean();
    private final AtomicBoolean goneNext = new AtomicBoolean();
    final AtomicInteger refused = new AtomicInteger();
    final AtomicInteger podLists = new AtomicInteger();

    OutageGate(Dispatcher crud) {
      this.crud = crud;
    }

    void silence() {
      silent.set(true);
      for (WebSocket w : List.copyOf(watches)) {
        w.close(1000, "");
      }
    }

    /** Back; the next pod watch gets 410 Gone, as after a watch window has passed. */
    void open() {
      goneNext.set(true);
      silent.set(false);
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
      String path = request.getPath();
      boolean get = "GET".equals(request.getMethod());
      boolean watch = get && path.contains("watch=true");
      if (get && silent.get()) {
        refused.incrementAndGet();
        return new MockResponse().setResponseCode(503).setBody("the API server is down (bench)");
      }
      boolean pods = get && path.startsWith("/api/v1/pods");
      if (pods && watch && goneNext.compareAndSet(true, false)) {
        return new MockResponse()
            .withWebSocketUpgrade(
                new WebSocketListener() {
                  @Override
                  public void onOpen(WebSocket socket, Response response) {
                    socket.send(GONE);
                    socket.close(1000, "");
                  }
                });
      }
      if (pods && !watch) {
        podLists.incrementAndGet();
      }
      MockResponse response = crud.dispatch(request);
      WebSocketListener listener = response.getWebSocketListener();
      if (listener != null) {
        response.withWebSocketUpgrade(new Tracked(listener));
      }
      return response;
    }

    @Override
    public void shutdown() {
      crud.shutdown();
    }

    /** The CRUD mock's watch, with its socket remembered so an outage can close it. */
    private final class Tracked extends WebSocketListener {
      private final WebSocketListener inner;

      Tracked(WebSocketListener inner) {
        this.inner = inner;
      }

      @Override
      public void onBeforeAccept(WebSocket ws, Response response) {
        inner.onBeforeAccept(ws, response);
      }

      @Override
      public void onOpen(WebSocket ws, Response response) {
        watches.add(ws);
        if (silent.get()) {
          ws.close(1000, "");
        }
        inner.onOpen(ws, response);
      }

      @Override
      public void onMessage(WebSocket ws, String text) {
        inner.onMessage(ws, text);
      }

      @Override
      public void onMessage(WebSocket ws, ByteString bytes) {
        inner.onMessage(ws, bytes);
      }

      @Override
      public void onMessage(WebSocket ws, byte[] bytes) {
        inner.onMessage(ws, bytes);
      }

      @Override
      public void onPing(WebSocket ws, byte[] bytes) {
        inner.onPing(ws, bytes);
      }

      @Override
      public void onClosing(WebSocket ws, int code, String reason) {
        inner.onClosing(ws, code, reason);
      }

      @Override
      public void onClosed(WebSocket ws, int code, String reason) {
        watches.remove(ws);
        inner.onClosed(ws, code, reason);
      }

      @Override
      public void onFailure(WebSocket ws, Throwable t, Response response) {
        watches.remove(ws);
        inner.onFailure(ws, t, response);
      }
    }
  }

  /** The mock's truth for one IP: its owner's uid (null: free) and when that last changed. */
  record Owner(String uid, String name, long sinceNanos) {}

  /** The churn: replaces pods in the mock; an outage starts between two of its steps. */
  static final class Churn {
    final ReentrantLock step = new ReentrantLock();
    final Map<String, Owner> truth = new ConcurrentHashMap<>();
    final List<String> pool = new ArrayList<>();
    final ArrayDeque<String> free = new ArrayDeque<>();
    final List<String> live = new ArrayList<>();
    final AtomicLong serial = new AtomicLong();
    final Map<String, String> createdInOutage = new ConcurrentHashMap<>(); // ip -> uid
    final Map<String, String> deletedInOutage = new ConcurrentHashMap<>(); // ip -> uid
    volatile boolean inOutage;
    private final KubernetesClient client;

    Churn(KubernetesClient client) {
      this.client = client;
    }

    void create(String ip) {
      String name = "p" + serial.incrementAndGet();
      var pod = running(NS, name, ip, "app-" + (serial.get() % 50));
      long since = System.nanoTime();
      // The mock gives the pod its own uid, as kube-apiserver does.
      String uid = client.pods().inNamespace(NS).resource(pod).create().getMetadata().getUid();
      truth.put(ip, new Owner(uid, name, since));
      live.add(ip);
      if (inOutage) {
        createdInOutage.put(ip, uid);
      }
    }

    /** One pod deleted, one created on the IP freed longest ago. */
    void replaceOne() {
      step.lock();
      try {
        int i = ThreadLocalRandom.current().nextInt(live.size());
        String ip = live.get(i);
        live.set(i, live.get(live.size() - 1));
        live.remove(live.size() - 1);
        Owner gone = truth.get(ip);
        truth.put(ip, new Owner(null, null, System.nanoTime()));
        client.pods().inNamespace(NS).withName(gone.name()).delete();
        createdInOutage.remove(ip, gone.uid());
        if (inOutage) {
          deletedInOutage.put(ip, gone.uid());
        }
        free.addLast(ip);
        create(free.removeFirst());
      } finally {
        step.unlock();
      }
    }
  }

  /** Reader tallies: class -> outcome -> count. */
  static final class Tally {
    static final String[] CLASSES = {
      "owner unchanged since before, known",
      "owner unchanged since before, not known",
      "owner changed during the outage",
    };
    static final String[] OUTCOMES = {"right pod", "STALE", "refused", "not found"};
    final long[][] before = new long[3][4];
    final long[][] after = new long[3][4];

    void add(boolean guarding, int cls, int outcome) {
      (guarding ? after : before)[cls][outcome]++;
    }
  }

  public static void main(String[] args) throws Exception {
    int pods = arg(args, 0, 2_000);
    int churnRate = arg(args, 1, 20);
    int outageSeconds = arg(args, 2, 30);
    int outages = arg(args, 3, 3);
    Duration threshold = Duration.ofSeconds(arg(args, 4, 10));
    int freshSeconds = arg(args, 5, 15);
    int queries = arg(args, 6, 100);
    int spare = arg(args, 7, 400);
    MOCK_LOG.setLevel(java.util.logging.Level.WARNING);

    OutageGate gate = new OutageGate(new KubernetesCrudDispatcher());
    KubernetesMockServer server =
        new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), gate, false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    ExecutorService continuations = Executors.newFixedThreadPool(2);
    KubernetesClient writer = server.createClient();
    KubernetesClient informers = server.createClient();
    Churn churn = new Churn(writer);
    writer.namespaces().resource(namespace(NS, "app-.*")).create();
    long t = System.nanoTime();
    for (int i = 0; i < pods + spare; i++) {
      String ip = "10." + (64 + i / 65536) + "." + (i / 256 % 256) + "." + (i % 256);
      churn.pool.add(ip);
      if (i < pods) {
        churn.create(ip);
      } else {
        churn.free.addLast(ip);
        churn.truth.put(ip, new Owner(null, null, System.nanoTime()));
      }
    }
    System.out.printf(
        "created %d pods in the mock in %.1f s%n", pods, (System.nanoTime() - t) / 1e9);

    PodStore store = new PodStore(continuations);
    AtomicLong refusals = new AtomicLong();
    KubernetesCaches caches = new KubernetesCaches(informers, store, new NamespaceStore());
    StaleViewGuard guard =
        new StaleViewGuard(store, () -> caches.staleReason(threshold), refusals::incrementAndGet);
    store.addListener(guard);
    t = System.nanoTime();
    caches.start().get(120, TimeUnit.SECONDS);
    System.out.printf(
        "informers synced %d pods in %.1f s; threshold %d s, outage %d s, churn %d/s, %d spare IPs%n",
        store.size(),
        (System.nanoTime() - t) / 1e9,
        threshold.toSeconds(),
        outageSeconds,
        churnRate,
        spare);

    ExecutorService churner = Executors.newSingleThreadExecutor();
    AtomicBoolean running = new AtomicBoolean(true);
    churner.submit(
        () -> {
          long period = 1_000_000_000L / Math.max(1, churnRate);
          long next = System.nanoTime();
          while (running.get()) {
            try {
              churn.replaceOne();
            } catch (RuntimeException e) {
              System.out.println("churn step failed: " + e);
            }
            next += period;
            long wait = next - System.nanoTime();
            if (wait > 0) {
              TimeUnit.NANOSECONDS.sleep(wait);
            }
          }
          return null;
        });

    double[] staleAtEnd = new double[outages];
    double[] refusingAfter = new double[outages];
    double[] recovery = new double[outages];
    Tally total = new Tally();
    for (int o = 0; o < outages; o++) {
      // Fresh: the watch is up; the reader asks for about half the live IPs.
      awaitFresh(caches);
      List<String> ips;
      churn.step.lock();
      try {
        ips = new ArrayList<>(churn.live);
      } finally {
        churn.step.unlock();
      }
      int known = 0;
      for (String ip : ips) {
        if (ThreadLocalRandom.current().nextBoolean()) {
          continue;
        }
        try {
          if (guard.findByIp(ip) instanceof PodLookup.Found f) {
            SCANNED.add(ip + "/" + f.pod().uid());
            known++;
          }
        } catch (StaleViewException e) {
          // cannot happen while fresh
        }
      }
      Thread.sleep(freshSeconds * 1000L);

      // Silent.
      churn.step.lock();
      long start;
      try {
        churn.createdInOutage.clear();
        churn.deletedInOutage.clear();
        churn.inOutage = true;
        gate.silence();
        start = System.nanoTime();
      } finally {
        churn.step.unlock();
      }
      Tally tally = new Tally();
      long firstRefusal = -1;
      long end = start + outageSeconds * 1_000_000_000L;
      long period = 1_000_000_000L / Math.max(1, queries);
      long next = start;
      while (System.nanoTime() < end) {
        String ip = churn.pool.get(ThreadLocalRandom.current().nextInt(churn.pool.size()));
        Owner owner = churn.truth.get(ip);
        boolean guarding = caches.staleReason(threshold).isPresent();
        int cls;
        if (owner.sinceNanos() >= start) {
          cls = 2;
        } else {
          cls = known(ip, owner) ? 0 : 1;
        }
        int outcome;
        try {
          PodLookup lookup = guard.findByIp(ip);
          if (lookup instanceof PodLookup.Found f) {
            outcome = f.pod().uid().equals(owner.uid()) ? 0 : 1;
            if (!guarding && outcome == 0) {
              SCANNED.add(ip + "/" + f.pod().uid()); // the guard remembers it too
            }
            if (outcome == 1 && cls != 2) {
              System.out.printf(
                  "  stale answer for %s, whose owner changed %d ms before the outage began%n",
                  ip, (start - owner.sinceNanos()) / 1_000_000);
            }
          } else {
            outcome = 3;
          }
        } catch (StaleViewException e) {
          outcome = 2;
          if (firstRefusal < 0) {
            firstRefusal = System.nanoTime();
          }
        }
        tally.add(guarding, cls, outcome);
        total.add(guarding, cls, outcome);
        next += period;
        long wait = next - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
      }
      caches.sample();
      staleAtEnd[o] = caches.staleness().get("pods").toMillis() / 1000.0;
      refusingAfter[o] = firstRefusal < 0 ? Double.NaN : (firstRefusal - start) / 1e9;

      // Back.
      long back;
      churn.step.lock();
      try {
        churn.inOutage = false;
        gate.open();
        back = System.nanoTime();
      } finally {
        churn.step.unlock();
      }
      long limit = back + TimeUnit.SECONDS.toNanos(Integer.getInteger("bench.recoveryLimit", 300));
      while (!recovered(caches, store, churn) && System.nanoTime() < limit) {
        Thread.sleep(20);
      }
      recovery[o] = (System.nanoTime() - back) / 1e9;
      if (!recovered(caches, store, churn)) {
        System.out.printf(
            "outage %d: NOT recovered within 5 min: pod staleness %s, %d pods in the store%n",
            o + 1, caches.staleness(), store.size());
      }
      System.out.printf(
          "outage %d: %d IPs known beforehand; pod staleness at the end %.1f s; refusing from %.1f s;"
              + " %d pods created and %d deleted during it; recovered %.2f s after the API came back%n",
          o + 1,
          known,
          staleAtEnd[o],
          refusingAfter[o],
          churn.createdInOutage.size(),
          churn.deletedInOutage.size(),
          recovery[o]);
      print(tally);
    }
    running.set(false);
    churner.shutdown();
    churner.awaitTermination(10, TimeUnit.SECONDS);
    System.out.printf(
        "over %d outages of %d s: staleness at the end p50 %.1f s; refusing from p50 %.1f s;"
            + " recovery p50 %.2f s, p99 %.2f s, max %.2f s; %d refusals; %d requests refused"
            + " by the silent API; %d pod lists%n",
        outages,
        outageSeconds,
        pct(staleAtEnd, 50),
        pct(refusingAfter, 50),
        pct(recovery, 50),
        pct(recovery, 99),
        pct(recovery, 100),
        refusals.get(),
        gate.refused.get(),
        gate.podLists.get());
    System.out.println("all outages:");
    print(total);
    caches.close();
    informers.close();
    writer.close();
    server.destroy();
    continuations.shutdownNow();
    System.exit(0);
  }

  /** Whether the guard answered this very pod (IP and uid) while the view was fresh. */
  private static boolean known(String ip, Owner owner) {
    return owner.uid() != null && SCANNED.contains(ip + "/" + owner.uid());
  }

  private static final Set<String> SCANNED = ConcurrentHashMap.newKeySet();

  private static void awaitFresh(KubernetesCaches caches) throws InterruptedException {
    do {
      Thread.sleep(50);
      caches.sample();
    } while (!caches.staleness().get("pods").isZero()
        || !caches.staleness().get("namespaces").isZero());
  }

  private static boolean recovered(KubernetesCaches caches, PodStore store, Churn churn) {
    caches.sample();
    if (!caches.staleness().get("pods").isZero()) {
      return false;
    }
    for (Map.Entry<String, String> e : churn.createdInOutage.entrySet()) {
      if (!(store.findByIp(e.getKey()) instanceof PodLookup.Found f
          && f.pod().uid().equals(e.getValue()))) {
        return false;
      }
    }
    for (Map.Entry<String, String> e : churn.deletedInOutage.entrySet()) {
      if (store.findByIp(e.getKey()) instanceof PodLookup.Found f
          && f.pod().uid().equals(e.getValue())) {
        return false;
      }
    }
    return true;
  }

  private static void print(Tally tally) {
    for (int phase = 0; phase < 2; phase++) {
      long[][] rows = phase == 0 ? tally.before : tally.after;
      System.out.println(
          phase == 0
              ? "  before the threshold (view stale, guard not yet refusing):"
              : "  past the threshold (guard refusing unknown IPs):");
      for (int c = 0; c < 3; c++) {
        StringBuilder line = new StringBuilder("    ").append(Tally.CLASSES[c]).append(':');
        for (int k = 0; k < 4; k++) {
          line.append(' ').append(Tally.OUTCOMES[k]).append(' ').append(rows[c][k]).append(';');
        }
        System.out.println(line);
      }
    }
  }

  private static double pct(double[] values, int p) {
    double[] sorted = Arrays.stream(values).filter(v -> !Double.isNaN(v)).sorted().toArray();
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  private static int arg(String[] args, int i, int fallback) {
    return args.length > i ? Integer.parseInt(args[i]) : fallback;
  }
}
