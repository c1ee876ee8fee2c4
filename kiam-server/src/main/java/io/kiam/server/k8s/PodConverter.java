package io.kiam.server.k8s;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns fabric8 pods into {@link PodInfo} (and back into a skeleton for the informer), dropping
 * everything else: containers, managed fields, last-applied annotations and the rest.
 */
public final class PodConverter {
  private final StringPool pool = new StringPool(100_000);

  /** The compact form of the pod; IPs that do not parse are dropped (they can match nothing). */
  public PodInfo toInfo(Pod pod) {
    ObjectMeta meta = pod.getMetadata();
    Map<String, String> annotations =
        meta.getAnnotations() == null ? Map.of() : meta.getAnnotations();
    PodSpec spec = pod.getSpec();
    PodStatus status = pod.getStatus();
    boolean hostNetwork = spec != null && Boolean.TRUE.equals(spec.getHostNetwork());
    String serviceAccount = spec == null ? null : spec.getServiceAccountName();
    String nodeName = spec == null ? null : spec.getNodeName();
    String phase = status == null ? null : status.getPhase();
    return new PodInfo(
        identity(pod),
        pool.share(meta.getNamespace() == null ? "" : meta.getNamespace()),
        meta.getName() == null ? "" : meta.getName(),
        ips(status),
        PodPhase.parse(phase),
        hostNetwork,
        meta.getDeletionTimestamp() != null,
        pool.share(annotations.get(KiamAnnotations.ROLE)),
        pool.share(annotations.get(KiamAnnotations.SESSION_NAME)),
        annotations.get(KiamAnnotations.EXTERNAL_ID),
        pool.share(serviceAccount),
        meta.getResourceVersion(),
        pool.share(nodeName));
  }

  /**
   * The pod's identity in the store: its uid, or namespace/name for the rare pod without one (a
   * uid-less pod must not collide with every other).
   */
  public static String identity(Pod pod) {
    String uid = pod.getMetadata().getUid();
    return uid == null || uid.isEmpty() ? Cache.metaNamespaceKeyFunc(pod) : uid;
  }

  /**
   * The skeleton the informer gets back from its store: identity and resource version are all it
   * compares; our own code reads PodInfo, never this.
   */
  public static Pod skeleton(PodInfo info) {
    ObjectMeta meta = new ObjectMeta();
    meta.setUid(info.uid());
    meta.setNamespace(info.namespace());
    meta.setName(info.name());
    meta.setResourceVersion(info.resourceVersion());
    Pod pod = new Pod();
    pod.setMetadata(meta);
    return pod;
  }

  private static List<String> ips(PodStatus status) {
    if (status == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>(2);
    if (status.getPodIPs() != null) {
      for (PodIP ip : status.getPodIPs()) {
        addCanonical(out, ip.getIp());
      }
    }
    if (out.isEmpty()) {
      addCanonical(out, status.getPodIP());
    }
    return out;
  }

  private static void addCanonical(List<String> out, String ip) {
    if (ip == null || ip.isEmpty()) {
      return;
    }
    try {
      String canonical = IpAddresses.canonical(ip);
      if (!out.contains(canonical)) {
        out.add(canonical);
      }
    } catch (IllegalArgumentException e) {
      // An API server never sends this; if one did, the pod simply cannot be matched by IP.
    }
  }
}
