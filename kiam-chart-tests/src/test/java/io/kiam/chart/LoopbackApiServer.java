package io.kiam.chart;

import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.APIResourceListBuilder;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
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

/**
 * fabric8's mock API server in CRUD mode on loopback, the only cluster Helm's {@code lookup} sees
 * in these tests: Maven points KUBECONFIG at the file written here.
 */
final class LoopbackApiServer {
  private static final String KUBECONFIG_NAME = "loopback-kubeconfig.yaml";
  private static KubernetesMockServer server;
  private static NamespacedKubernetesClient client;

  private LoopbackApiServer() {}

  /** Starts the server once and writes the kubeconfig; a client for the tests to seed it. */
  static synchronized NamespacedKubernetesClient client() {
    if (client == null) {
      Path kubeconfig = requireKubeconfigVariable();
      Map<ServerRequest, Queue<ServerResponse>> expectations = new HashMap<>();
      server =
          new KubernetesMockServer(
              new Context(),
              new MockWebServer(),
              expectations,
              new KubernetesMixedDispatcher(expectations),
              false);
      server.init(InetAddress.getLoopbackAddress(), 0);
      // Helm's lookup asks discovery whether a Secret is namespaced; CRUD mode serves no discovery.
      APIResourceList core =
          new APIResourceListBuilder()
              .withGroupVersion("v1")
              .addNewResource()
              .withName("secrets")
              .withSingularName("secret")
              .withKind("Secret")
              .withNamespaced(true)
              .withVerbs("create", "delete", "get", "list", "patch", "update", "watch")
              .endResource()
              .build();
      for (String path : new String[] {"/api/v1", "/api/v1?timeout=32s"}) {
        server.expect().get().withPath(path).andReturn(200, core).always();
      }
      client = server.createClient();
      write(kubeconfig, "http://127.0.0.1:" + server.getPort());
      Runtime.getRuntime().addShutdownHook(new Thread(server::destroy, "loopback-api-stop"));
    }
    return client;
  }

  private static Path requireKubeconfigVariable() {
    String value = System.getenv("KUBECONFIG");
    if (value == null || !value.endsWith(KUBECONFIG_NAME)) {
      // Without it Helm would look up Secrets in whatever cluster ~/.kube/config names.
      throw new IllegalStateException(
          "KUBECONFIG must name target/"
              + KUBECONFIG_NAME
              + " (set by the module's pom); is "
              + value);
    }
    return Path.of(value);
  }

  private static void write(Path kubeconfig, String url) {
    String yaml =
        """
        apiVersion: v1
        kind: Config
        clusters:
          - name: loopback
            cluster:
              server: %s
        users:
          - name: tests
            user: {}
        contexts:
          - name: loopback
            context:
              cluster: loopback
              user: tests
              namespace: %s
        current-context: loopback
        """
            .formatted(url, KiamChart.NAMESPACE);
    try {
      Files.createDirectories(kubeconfig.getParent());
      Files.writeString(kubeconfig, yaml);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
