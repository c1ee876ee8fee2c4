package io.kiam.server.bench;

import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.kiam.server.k8s.PodStore;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;

/**
 * Heap bytes per indexed pod: fills a {@link PodStore} (the informer's item store and the IP index)
 * with realistic pods (managed fields, labels, a last-applied annotation, two containers) and
 * measures the heap it retains after GC, against the same pods held whole as a default informer
 * would. A benchmark, not a test: run it by hand (see the report for the command); use
 * -XX:+UseSerialGC for stable numbers.
 */
public final class PodIndexMemoryBench {
  private PodIndexMemoryBench() {}

  public static void main(String[] args) throws Exception {
    int[] sizes = args.length == 0 ? new int[] {10_000, 50_000} : parse(args);
    measure(2_000, false); // loads and initialises the classes, so the first size is not charged
    for (int n : sizes) {
      measure(n, true);
    }
  }

  private static void measure(int n, boolean print) throws InterruptedException {
    long base = usedAfterGc();
    PodStore store = new PodStore(Executors.newSingleThreadExecutor(r -> daemon(r)));
    for (int i = 0; i < n; i++) {
      Pod pod = pod(i);
      store.put(store.getKey(pod), pod);
    }
    long indexed = usedAfterGc() - base;
    keep(store);

    base = usedAfterGc();
    List<Pod> whole = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      whole.add(pod(i));
    }
    long full = usedAfterGc() - base;
    keep(whole);

    if (!print) {
      return;
    }
    System.out.printf(
        "pods=%d indexed: %d bytes/pod (%.1f MiB total); whole fabric8 pods: %d bytes/pod; ips=%d%n",
        n, indexed / n, indexed / 1048576.0, full / n, store.indexedIps());
  }

  private static Pod pod(int i) {
    String namespace = "team-" + (i % 50);
    String name = "app-" + (i % 400) + "-" + Integer.toHexString(0x10000000 + i) + "-x7k2q";
    String ip = "10." + ((i >> 16) & 0xff) + "." + ((i >> 8) & 0xff) + "." + (i & 0xff);
    return new PodBuilder()
        .withNewMetadata()
        .withNamespace(namespace)
        .withName(name)
        .withUid(UUID.randomUUID().toString())
        .withResourceVersion(Integer.toString(1_000_000 + i))
        .withLabels(
            Map.of("app", "app-" + (i % 400), "pod-template-hash", "6d4b7f9c8d", "team", namespace))
        .withAnnotations(
            Map.of(
                "iam.amazonaws.com/role", namespace + "-role-" + (i % 4),
                "kubectl.kubernetes.io/last-applied-configuration",
                    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\""
                        + name
                        + "\"},"
                        + "x".repeat(600)
                        + "}"))
        .withManagedFields(
            new ManagedFieldsEntryBuilder()
                .withManager("kube-controller-manager")
                .withOperation("Update")
                .withApiVersion("v1")
                .withTime("2026-01-01T00:00:00Z")
                .build(),
            new ManagedFieldsEntryBuilder()
                .withManager("kubelet")
                .withOperation("Update")
                .withApiVersion("v1")
                .withSubresource("status")
                .withTime("2026-01-01T00:00:05Z")
                .build())
        .endMetadata()
        .withNewSpec()
        .withServiceAccountName(namespace + "-sa")
        .withNodeName("node-" + (i % 200))
        .addNewContainer()
        .withName("app")
        .withImage("registry.example.com/" + namespace + "/app:1.2.3")
        .addNewEnv()
        .withName("AWS_REGION")
        .withValue("eu-west-1")
        .endEnv()
        .addNewPort()
        .withContainerPort(8080)
        .endPort()
        .endContainer()
        .addNewContainer()
        .withName("sidecar")
        .withImage("registry.example.com/sidecar:4.5.6")
        .endContainer()
        .endSpec()
        .withNewStatus()
        .withPhase("Running")
        .withPodIP(ip)
        .addNewPodIP()
        .withIp(ip)
        .endPodIP()
        .withHostIP("192.168.0." + (i % 200))
        .addNewCondition()
        .withType("Ready")
        .withStatus("True")
        .endCondition()
        .addNewContainerStatus()
        .withName("app")
        .withReady(true)
        .withRestartCount(0)
        .withImage("app:1.2.3")
        .endContainerStatus()
        .endStatus()
        .build();
  }

  private static volatile Object sink;

  private static void keep(Object o) {
    sink = o;
    sink = null;
  }

  private static long usedAfterGc() throws InterruptedException {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      System.gc();
      Thread.sleep(50);
      used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }
    return used;
  }

  private static Thread daemon(Runnable r) {
    Thread t = new Thread(r);
    t.setDaemon(true);
    return t;
  }

  private static int[] parse(String[] args) {
    int[] out = new int[args.length];
    for (int i = 0; i < args.length; i++) {
      out[i] = Integer.parseInt(args[i]);
    }
    return out;
  }
}
