package io.kiam.agent.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's startup-taint removal over real HTTP against fabric8's mock API server in CRUD mode:
 * the node keeps its taint until the agent is ready, then loses exactly that taint and nothing
 * else.
 */
@EnableKubernetesMockClient(crud = true, https = false)
@Timeout(60)
class StartupTaintIT {
  private static final String KEY = StartupTaintConfig.DEFAULT_KEY;
  private static final Duration WAIT = Duration.ofSeconds(30);

  KubernetesMockServer mock;
  KubernetesClient client;

  @TempDir Path dir;

  private NodeTaints taints() throws Exception {
    Path token = Files.writeString(dir.resolve("token"), "agent-token-" + System.nanoTime());
    URI api = URI.create(client.getConfiguration().getMasterUrl());
    return ApiServerNodeTaints.create(new StartupTaintConfig(KEY, api, token, Optional.empty()));
  }

  private Node node(String name, Taint... taints) {
    return client
        .nodes()
        .resource(
            new NodeBuilder()
                .withNewMetadata()
                .withName(name)
                .addToLabels("topology.kubernetes.io/zone", "eu-west-1a")
                .endMetadata()
                .withNewSpec()
                .withTaints(taints)
                .endSpec()
                .build())
        .create();
  }

  private static Taint taint(String key, String effect) {
    return new Taint(effect, key, null, null);
  }

  private List<Taint> taintsOf(String name) {
    return client.nodes().withName(name).get().getSpec().getTaints();
  }

  @Test
  void removesOnlyTheStartupTaintAndKeepsTheOthersInOrder() throws Exception {
    node(
        "taint-node-a",
        taint("node.kubernetes.io/not-ready", "NoSchedule"),
        taint(KEY, "NoSchedule"),
        taint("dedicated", "NoExecute"));

    assertTrue(taints().remove("taint-node-a", KEY));

    assertEquals(
        List.of("node.kubernetes.io/not-ready", "dedicated"),
        taintsOf("taint-node-a").stream().map(Taint::getKey).toList());
    assertEquals(
        "eu-west-1a",
        client
            .nodes()
            .withName("taint-node-a")
            .get()
            .getMetadata()
            .getLabels()
            .get("topology.kubernetes.io/zone"));
  }

  @Test
  void sendsAJsonPatchWithTheServiceAccountToken() throws Exception {
    node("taint-node-b", taint(KEY, "NoSchedule"));
    NodeTaints taints = taints();

    taints.remove("taint-node-b", KEY);

    // the GET came first, so the last request is the patch
    RecordedRequest patch = mock.getLastRequest();
    assertEquals("PATCH", patch.getMethod());
    assertEquals("/api/v1/nodes/taint-node-b", patch.getPath());
    assertEquals(ApiServerNodeTaints.JSON_PATCH, patch.getHeader("Content-Type"));
    assertTrue(patch.getHeader("Authorization").startsWith("Bearer agent-token-"));
    assertTrue(taintsOf("taint-node-b") == null || taintsOf("taint-node-b").isEmpty());
  }

  @Test
  void aNodeWithoutTheTaintIsLeftAlone() throws Exception {
    node("taint-node-c", taint("dedicated", "NoExecute"));
    assertFalse(taints().remove("taint-node-c", KEY));
    assertEquals(1, taintsOf("taint-node-c").size());
  }

  @Test
  void anUnknownNodeIsAClearFailure() throws Exception {
    NodeApiException e =
        assertThrows(NodeApiException.class, () -> taints().remove("taint-node-missing", KEY));
    assertEquals(404, e.status());
    assertFalse(e.getMessage().contains("agent-token-"), e.getMessage());
  }

  @Test
  void theRemoverWaitsForReadinessThenLiftsTheTaint() throws Exception {
    node("taint-node-d", taint(KEY, "NoSchedule"));
    AtomicReference<Optional<String>> ready =
        new AtomicReference<>(Optional.of("iptables DNAT rule for cali+ is missing"));
    java.util.concurrent.CountDownLatch asked = new java.util.concurrent.CountDownLatch(2);
    try (StartupTaintRemover remover =
        StartupTaintRemover.start(
            taints(),
            "taint-node-d",
            KEY,
            () -> {
              Optional<String> now = ready.get();
              asked.countDown();
              return now;
            })) {
      // asked twice while not ready: the first answer was acted on, and the taint is still there
      assertTrue(asked.await(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS));
      assertEquals(1, taintsOf("taint-node-d").size());
      ready.set(Optional.empty());
      assertTrue(remover.awaitRemoved(WAIT));
    }
    assertTrue(taintsOf("taint-node-d") == null || taintsOf("taint-node-d").isEmpty());
  }

  @Test
  void theRemoverRetriesUntilTheNodeExists() throws Exception {
    try (StartupTaintRemover remover =
        StartupTaintRemover.start(taints(), "taint-node-e", KEY, Optional::empty)) {
      // the first attempt meets a 404; the node registers later
      awaitRequests(1);
      node("taint-node-e", taint(KEY, "NoSchedule"));
      assertTrue(remover.awaitRemoved(WAIT));
    }
    assertTrue(taintsOf("taint-node-e") == null || taintsOf("taint-node-e").isEmpty());
  }

  private void awaitRequests(int atLeast) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (mock.getRequestCount() < atLeast && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
  }
}
