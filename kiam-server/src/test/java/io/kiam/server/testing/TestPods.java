package io.kiam.server.testing;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.kiam.server.k8s.KiamAnnotations;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/** Builds the pods and namespaces tests create, with kiam's annotations where asked. */
public final class TestPods {
  private TestPods() {}

  /** A running pod with one IP and, when {@code role} is not null, a role annotation. */
  public static Pod running(String namespace, String name, String ip, String role) {
    return pod(namespace, name).ip(ip).phase("Running").role(role).build();
  }

  /** A namespace permitting roles matching {@code permitted} (null: no annotation). */
  public static Namespace namespace(String name, String permitted) {
    NamespaceBuilder b = new NamespaceBuilder().withNewMetadata().withName(name).endMetadata();
    if (permitted != null) {
      b.editMetadata().addToAnnotations(KiamAnnotations.PERMITTED, permitted).endMetadata();
    }
    return b.build();
  }

  public static Spec pod(String namespace, String name) {
    return new Spec(namespace, name);
  }

  /** A pod under construction. */
  public static final class Spec {
    private final String namespace;
    private final String name;
    private String uid = UUID.randomUUID().toString();
    private String ip;
    private String phase = "Pending";
    private boolean hostNetwork;
    private boolean deleting;
    private String resourceVersion = "1";
    private String node;
    private final Map<String, String> annotations = new LinkedHashMap<>();

    private Spec(String namespace, String name) {
      this.namespace = namespace;
      this.name = name;
    }

    public Spec uid(String uid) {
      this.uid = uid;
      return this;
    }

    public Spec ip(String ip) {
      this.ip = ip;
      return this;
    }

    public Spec phase(String phase) {
      this.phase = phase;
      return this;
    }

    public Spec hostNetwork() {
      this.hostNetwork = true;
      return this;
    }

    public Spec deleting() {
      this.deleting = true;
      return this;
    }

    /** Scheduled on {@code node} (spec.nodeName). */
    public Spec node(String node) {
      this.node = node;
      return this;
    }

    public Spec resourceVersion(String resourceVersion) {
      this.resourceVersion = resourceVersion;
      return this;
    }

    public Spec role(String role) {
      return annotate(KiamAnnotations.ROLE, role);
    }

    public Spec annotate(String key, String value) {
      if (value != null) {
        annotations.put(key, value);
      }
      return this;
    }

    public Pod build() {
      PodBuilder b =
          new PodBuilder()
              .withNewMetadata()
              .withNamespace(namespace)
              .withName(name)
              .withUid(uid)
              .withResourceVersion(resourceVersion)
              .withAnnotations(annotations.isEmpty() ? null : annotations)
              .endMetadata()
              .withNewSpec()
              .withHostNetwork(hostNetwork)
              .withServiceAccountName("default")
              .withNodeName(node)
              .addNewContainer()
              .withName("app")
              .withImage("example/app:1")
              .endContainer()
              .endSpec()
              .withNewStatus()
              .withPhase(phase)
              .endStatus();
      if (ip != null) {
        b.editStatus().withPodIP(ip).addNewPodIP().withIp(ip).endPodIP().endStatus();
      }
      if (deleting) {
        b.editMetadata().withDeletionTimestamp("2026-01-01T00:00:00Z").endMetadata();
      }
      return b.build();
    }
  }
}
