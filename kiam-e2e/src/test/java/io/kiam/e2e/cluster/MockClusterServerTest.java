package io.kiam.e2e.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The local mode registers its kiam-server as the chart does (kube-system, the chart's labels, the
 * server's flags as container args), which is what {@code explain} reads.
 */
@Timeout(60)
class MockClusterServerTest {
  private final MockCluster cluster = MockCluster.start("127.0.0.1", 0);

  @AfterEach
  void stop() {
    cluster.close();
  }

  @Test
  void serverIsRegisteredWithTheChartsLabelsAndItsFlagsAndReRegisteredOnRestart() {
    cluster.registerServer(List.of("--bind", "10.0.0.1:9610", "--role-base-arn", "old"));
    cluster.registerServer(
        List.of("--bind", "10.0.0.1:9610", "--role-base-arn", "arn:aws:iam::1:role/"));

    List<Pod> servers =
        cluster
            .client()
            .pods()
            .inAnyNamespace()
            .withLabel("app.kubernetes.io/component", "server")
            .list()
            .getItems();
    assertEquals(1, servers.size());
    Pod pod = servers.get(0);
    assertEquals(MockCluster.SERVER_NAMESPACE, pod.getMetadata().getNamespace());
    assertEquals("kiam", pod.getMetadata().getLabels().get("app.kubernetes.io/name"));
    assertEquals(
        List.of("--bind", "10.0.0.1:9610", "--role-base-arn", "arn:aws:iam::1:role/"),
        pod.getSpec().getContainers().get(0).getArgs());
    assertEquals("Running", pod.getStatus().getPhase());
  }
}
