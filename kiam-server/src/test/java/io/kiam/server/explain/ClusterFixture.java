package io.kiam.server.explain;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;

/** fabric8's mock API server in CRUD mode on loopback, and a kubeconfig file pointing at it. */
final class ClusterFixture implements AutoCloseable {
  private final KubernetesMockServer server;
  private final KubernetesClient client;
  private final String url;

  ClusterFixture() {
    // CRUD for everything, plus expectations (a pod's log, which CRUD mode does not serve).
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            responses,
            new KubernetesMixedDispatcher(responses),
            false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    url = "http://127.0.0.1:" + server.getPort();
    client =
        new KubernetesClientBuilder()
            .withConfig(new ConfigBuilder().withMasterUrl(url).build())
            .build();
  }

  void namespace(String name, String permitted) {
    NamespaceBuilder ns = new NamespaceBuilder().withNewMetadata().withName(name).endMetadata();
    if (permitted != null) {
      ns.editMetadata().addToAnnotations("iam.amazonaws.com/permitted", permitted).endMetadata();
    }
    client.namespaces().resource(ns.build()).create();
  }

  void pod(String namespace, String name, Map<String, String> annotations, String ip) {
    pod(namespace, name, annotations, ip, false);
  }

  void pod(
      String namespace,
      String name,
      Map<String, String> annotations,
      String ip,
      boolean hostNetwork) {
    client
        .pods()
        .inNamespace(namespace)
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withNamespace(namespace)
                .withName(name)
                .withUid(namespace + "-" + name)
                .withAnnotations(annotations)
                .endMetadata()
                .withNewSpec()
                .withHostNetwork(hostNetwork)
                .addNewContainer()
                .withName("app")
                .withImage("amazon/aws-cli")
                .endContainer()
                .endSpec()
                .withNewStatus()
                .withPhase("Running")
                .withPodIP(ip)
                .addNewPodIP()
                .withIp(ip)
                .endPodIP()
                .endStatus()
                .build())
        .create();
  }

  /** A running pod with these labels whose one container runs with {@code args}. */
  void labelledPod(
      String namespace, String name, Map<String, String> labels, java.util.List<String> args) {
    client
        .pods()
        .inNamespace(namespace)
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withNamespace(namespace)
                .withName(name)
                .withLabels(labels)
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("server")
                .withImage("kiam-server")
                .withArgs(args)
                .endContainer()
                .endSpec()
                .withNewStatus()
                .withPhase("Running")
                .endStatus()
                .build())
        .create();
  }

  /** The API server answers the log of {@code pod}'s {@code container} with {@code text}. */
  void podLog(String namespace, String pod, String container, String text) {
    server
        .expect()
        .get()
        .withPath(
            "/api/v1/namespaces/"
                + namespace
                + "/pods/"
                + pod
                + "/log?pretty=false&container="
                + container
                + "&limitBytes="
                + ServerLogBaseArn.LOG_BYTES)
        .andReturn(200, text)
        .always();
  }

  /** A kubeconfig as kubectl would write it, for the real --kubeconfig code path. */
  Path writeKubeconfig(Path dir) {
    String text =
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: mock
          cluster:
            server: %s
        contexts:
        - name: mock
          context:
            cluster: mock
            user: tester
            namespace: default
        current-context: mock
        users:
        - name: tester
          user:
            token: not-a-secret
        """
            .formatted(url);
    try {
      return Files.writeString(dir.resolve("kubeconfig"), text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    client.close();
    server.destroy();
  }
}
