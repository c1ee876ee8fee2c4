package io.kiam.e2e.cluster;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * fabric8's mock API server in CRUD mode, bound to the machine's uplink address, holding the
 * namespaces and pods of the e2e node; writes the kubeconfig kiam-server reads.
 */
public final class MockCluster implements AutoCloseable {
  public static final String ROLE_ANNOTATION = "iam.amazonaws.com/role";
  public static final String PERMITTED_ANNOTATION = "iam.amazonaws.com/permitted";
  public static final String NODE_NAME = "kiam-e2e-node";

  /** Where {@link #registerServer} puts the server's pod, as the chart would. */
  public static final String SERVER_NAMESPACE = "kube-system";

  public static final String SERVER_POD = "kiam-server";

  // held so the level survives: java.util.logging keeps loggers only weakly
  private static final java.util.logging.Logger MOCK_SERVER_LOG =
      java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

  private final KubernetesMockServer server;
  private final KubernetesClient client;
  private final ApiGate gate;
  private final String url;

  private MockCluster(
      KubernetesMockServer server, KubernetesClient client, ApiGate gate, String url) {
    this.server = server;
    this.client = client;
    this.gate = gate;
    this.url = url;
  }

  /**
   * Starts the API server, reached on host:port (port 0 for any) through an {@link ApiGate}; this
   * class's own client talks to the server directly, so objects can change while the gate is down.
   */
  public static MockCluster start(String host, int port) {
    MOCK_SERVER_LOG.setLevel(
        java.util.logging.Level.WARNING); // one INFO line per request otherwise
    KubernetesMockServer server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            new HashMap<>(),
            new KubernetesCrudDispatcher(),
            false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    ApiGate gate;
    try {
      gate =
          ApiGate.start(
              host,
              port,
              new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getPort()));
    } catch (RuntimeException e) {
      server.destroy();
      throw e;
    }
    String direct = "http://127.0.0.1:" + server.getPort();
    KubernetesClient client =
        new KubernetesClientBuilder()
            .withConfig(
                new ConfigBuilder()
                    .withMasterUrl(direct)
                    .withNamespace("default")
                    .withRequestRetryBackoffLimit(1)
                    .build())
            .build();
    return new MockCluster(server, client, gate, "http://" + host + ":" + gate.port());
  }

  public String url() {
    return url;
  }

  /** The gate kiam-server's connections pass: take the API down and back with it. */
  public ApiGate gate() {
    return gate;
  }

  public KubernetesClient client() {
    return client;
  }

  /** Writes a kubeconfig pointing at this API server. */
  public Path writeKubeconfig(Path file) {
    String text =
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: kiam-e2e
          cluster:
            server: %s
        contexts:
        - name: kiam-e2e
          context:
            cluster: kiam-e2e
            user: kiam-e2e
            namespace: default
        current-context: kiam-e2e
        users:
        - name: kiam-e2e
          user:
            token: kiam-e2e-token
        """
            .formatted(url);
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.writeString(file, text);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Creates or replaces a namespace; permitted null means no annotation (permits nothing). */
  public Namespace putNamespace(String name, String permitted) {
    Map<String, String> annotations = new LinkedHashMap<>();
    if (permitted != null) {
      annotations.put(PERMITTED_ANNOTATION, permitted);
    }
    Namespace namespace =
        new NamespaceBuilder()
            .withNewMetadata()
            .withName(name)
            .withAnnotations(annotations)
            .endMetadata()
            .withNewStatus()
            .withPhase("Active")
            .endStatus()
            .build();
    return client.namespaces().resource(namespace).createOr(existing -> existing.update());
  }

  /** Creates a running pod with the given IP (the node's IP for a hostNetwork pod). */
  public Pod createPod(PodSpec spec, String podIp, String hostIp) {
    Map<String, String> annotations = new LinkedHashMap<>();
    if (spec.role() != null) {
      annotations.put(ROLE_ANNOTATION, spec.role());
    }
    Pod pod =
        new PodBuilder()
            .withNewMetadata()
            .withNamespace(spec.namespace())
            .withName(spec.name())
            .withUid(java.util.UUID.randomUUID().toString())
            .withAnnotations(annotations)
            .endMetadata()
            .withNewSpec()
            .withNodeName(NODE_NAME)
            .withHostNetwork(spec.hostNetwork())
            .addNewContainer()
            .withName("app")
            .withImage("example/app:1")
            .endContainer()
            .endSpec()
            .withNewStatus()
            .withPhase("Running")
            .withPodIP(podIp)
            .addNewPodIP(podIp)
            .withHostIP(hostIp)
            .endStatus()
            .build();
    return client.pods().inNamespace(spec.namespace()).resource(pod).create();
  }

  /** Changes (or with null removes) a pod's role annotation. */
  public Pod setRole(String namespace, String name, String role) {
    return client
        .pods()
        .inNamespace(namespace)
        .withName(name)
        .edit(
            pod -> {
              Map<String, String> annotations =
                  new LinkedHashMap<>(
                      pod.getMetadata().getAnnotations() == null
                          ? Map.of()
                          : pod.getMetadata().getAnnotations());
              if (role == null) {
                annotations.remove(ROLE_ANNOTATION);
              } else {
                annotations.put(ROLE_ANNOTATION, role);
              }
              pod.getMetadata().setAnnotations(annotations);
              return pod;
            });
  }

  /**
   * Registers the running kiam-server the way the chart deploys it: a pod in kube-system with the
   * chart's labels whose container carries the server's flags, so {@code kiam-server explain} finds
   * the server's settings here as it does in a cluster. The pod uses the host network, so the
   * server never attributes a pod IP to it.
   */
  public Pod registerServer(java.util.List<String> serverArgs) {
    client.pods().inNamespace(SERVER_NAMESPACE).withName(SERVER_POD).delete();
    return client
        .pods()
        .inNamespace(SERVER_NAMESPACE)
        .resource(
            new io.fabric8.kubernetes.api.model.PodBuilder()
                .withNewMetadata()
                .withNamespace(SERVER_NAMESPACE)
                .withName(SERVER_POD)
                .addToLabels("app.kubernetes.io/name", "kiam")
                .addToLabels("app.kubernetes.io/component", "server")
                .endMetadata()
                .withNewSpec()
                .withHostNetwork(true)
                .addNewContainer()
                .withName("server")
                .withImage("kiam-server")
                .withArgs(serverArgs)
                .endContainer()
                .endSpec()
                .withNewStatus()
                .withPhase("Running")
                .endStatus()
                .build())
        .create();
  }

  /** Deletes a pod and waits until the API server no longer lists it. */
  public void deletePod(String namespace, String name) {
    client.pods().inNamespace(namespace).withName(name).delete();
  }

  @Override
  public void close() {
    gate.close();
    client.close();
    server.destroy();
  }
}
