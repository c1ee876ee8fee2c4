package io.kiam.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiam.e2e.cluster.PodSpec;
import io.kiam.e2e.metadata.MetadataStandIn;
import io.kiam.e2e.metadata.NodeIdentity;
import io.kiam.e2e.net.Commands;
import io.kiam.e2e.node.KiamNode;
import io.kiam.e2e.node.NodePod;
import io.kiam.e2e.node.Readiness;
import io.kiam.e2e.probe.HttpResult;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The node boot window with the documented hardening (IMDSv2 required, hop limit 1): a pod that is
 * already asking in a loop before the agent starts never gets the node's credentials, before,
 * during or after the agent's start, and gets its own role once the agent is up. The servers run in
 * the node's host network, so the same hop limit leaves their own credentials working.
 */
@ExtendWith(NodeExtension.class)
@ServersInNode
@NodeImds(MetadataStandIn.Mode.HOP_LIMIT_1)
@StsRoles({"billing-early"})
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class BootWindowIT {
  private static final Duration SETTLE = Duration.ofSeconds(60);
  private static final String ROLE = "billing-early";

  private static KiamNode node;
  private static PodChecks checks;
  private static NodePod early;

  @BeforeAll
  static void pods(KiamNode started) {
    node = started;
    checks = new PodChecks(node);
    node.putNamespace("billing", "billing-.*");
    early = node.addPod(PodSpec.of("billing", "early", ROLE));
  }

  @Test
  void aPodAskingBeforeTheAgentStartsNeverGetsTheNodesRoleAndThenGetsItsOwn() {
    // the servers, in the node's host network, got their own credentials through hop limit 1
    checks.awaitRole(early, ROLE, SETTLE);

    // a new node: no agent and no rule yet (the agent keeps its rule on stop, so remove it)
    node.stopAgent();
    Commands.run(
        "ip",
        "netns",
        "exec",
        node.network().names().nodeNamespace(),
        "iptables",
        "-w",
        "-t",
        "nat",
        "-F",
        "PREROUTING");

    // one probe process runs at most ~30s: the pod keeps asking in back-to-back batches
    CompletableFuture<List<HttpResult>> asking =
        CompletableFuture.supplyAsync(
            () -> {
              List<HttpResult> all = new ArrayList<>();
              Instant deadline = Instant.now().plus(Duration.ofSeconds(150));
              List<HttpResult> batch;
              do {
                batch =
                    node.probes()
                        .http(
                            early.netns(),
                            PodChecks.METADATA,
                            80,
                            List.of(
                                "--token",
                                "--repeat",
                                "150",
                                "--interval-ms",
                                "100",
                                "--until",
                                ROLE,
                                PodChecks.CREDENTIALS,
                                PodChecks.CREDENTIALS + NodeIdentity.ROLE_NAME));
                all.addAll(batch);
              } while (batch.stream().noneMatch(BootWindowIT::ownRole)
                  && Instant.now().isBefore(deadline));
              return all;
            });
    // the pod reached the node's own metadata service before the agent started
    String dropped = "token PUT from " + early.ip() + " dropped";
    Readiness.await(
        "the pod's first request at the node's metadata service",
        SETTLE,
        null,
        () -> standInLog().contains(dropped));

    node.startAgent();
    node.awaitAgent();
    List<HttpResult> results = asking.orTimeout(180, TimeUnit.SECONDS).join();

    PodChecks.assertNoNodeLeak(results.toString());
    for (HttpResult result : results) {
      if (result.request().endsWith(NodeIdentity.ROLE_NAME)) {
        assertFalse(result.ok(), () -> "the node's role was served: " + result);
      }
    }
    HttpResult first = results.get(0);
    assertEquals("PUT /latest/api/token", first.request());
    assertNull(first.status(), () -> "the node answered a pod's token PUT: " + first);
    assertEquals(
        401, results.get(1).status(), () -> "without a token the node refuses: " + results.get(1));
    HttpResult last = results.get(results.size() - 2);
    assertTrue(ownRole(last), () -> "never its own role: " + last);
    checks.awaitRole(early, ROLE, SETTLE);
  }

  private static boolean ownRole(HttpResult result) {
    return result.ok() && result.text().strip().equals(ROLE);
  }

  private static String standInLog() {
    try {
      return java.nio.file.Files.readString(
          node.options().workDir().resolve("logs").resolve("metadata-stand-in.log"));
    } catch (java.io.IOException e) {
      return "";
    }
  }
}
