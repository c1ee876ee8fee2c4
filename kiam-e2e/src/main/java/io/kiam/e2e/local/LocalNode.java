package io.kiam.e2e.local;

import io.kiam.e2e.cluster.PodSpec;
import io.kiam.e2e.node.KiamNode;
import io.kiam.e2e.node.NodePod;
import io.kiam.e2e.probe.HttpResult;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Puts a {@link LocalConfig} onto a started node and waits until its pods can get credentials. */
final class LocalNode {
  private static final Logger log = LoggerFactory.getLogger(LocalNode.class);
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

  private LocalNode() {}

  static void populate(KiamNode node, LocalConfig config) {
    for (LocalConfig.NamespaceEntry namespace : config.namespaces()) {
      node.putNamespace(namespace.name(), namespace.permitted());
    }
    for (LocalConfig.PodEntry pod : config.pods()) {
      node.addPod(PodSpec.of(pod.namespace(), pod.name(), pod.role()));
    }
  }

  /** Waits until every pod the policy allows is served its role through 169.254.169.254. */
  static void awaitCredentials(KiamNode node, LocalConfig config) {
    for (LocalConfig.PodEntry entry : config.pods()) {
      if (!config.permits(entry) || !config.sts().allows(entry.role())) {
        continue;
      }
      NodePod pod =
          node.pods().stream().filter(p -> p.name().equals(entry.name())).findFirst().orElseThrow();
      String role = entry.role().substring(entry.role().lastIndexOf('/') + 1);
      awaitRole(node, pod, role);
      log.atInfo()
          .addKeyValue("pod.name", pod.name())
          .addKeyValue("pod.iam.role", role)
          .log("pod gets credentials");
    }
  }

  private static void awaitRole(KiamNode node, NodePod pod, String role) {
    String path = "/latest/meta-data/iam/security-credentials/" + role;
    Instant deadline = Instant.now().plus(READY_TIMEOUT);
    List<HttpResult> last = List.of();
    while (Instant.now().isBefore(deadline)) {
      last = node.probes().http(pod.netns(), "169.254.169.254", 80, List.of("--token", path));
      if (last.size() == 2 && last.get(1).ok() && last.get(1).text().contains("AccessKeyId")) {
        return;
      }
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
    throw new IllegalStateException(
        "pod "
            + pod.name()
            + " did not get role "
            + role
            + " within "
            + READY_TIMEOUT.toSeconds()
            + "s; last answers: "
            + last.stream()
                .map(r -> r.request() + " -> " + (r.status() == null ? r.error() : r.status()))
                .toList());
  }
}
