package io.kiam.chart;

import static io.kiam.chart.KiamChart.AGENT;
import static io.kiam.chart.KiamChart.SERVER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import java.util.List;
import org.junit.jupiter.api.Test;

/** nodeIdentity.enabled wires both sides: the agent's projected token, the server's review. */
class NodeIdentityChartTest {
  private static final String ON = "nodeIdentity:\n  enabled: true\n  audience: kiam-test\n";

  private static PodSpec agent(Rendered r) {
    return r.one(DaemonSet.class, AGENT).getSpec().getTemplate().getSpec();
  }

  private static List<String> serverArgs(Rendered r) {
    return r.one(Deployment.class, SERVER)
        .getSpec()
        .getTemplate()
        .getSpec()
        .getContainers()
        .get(0)
        .getArgs();
  }

  private static boolean reviewsTokens(Rendered r) {
    return r.one(ClusterRole.class, SERVER).getRules().stream()
        .anyMatch(
            rule ->
                rule.getResources().contains("tokenreviews") && rule.getVerbs().contains("create"));
  }

  @Test
  void onTheAgentSendsAProjectedTokenAndTheServerMayReviewIt() {
    Rendered r = KiamChart.render(ON);

    Volume token =
        agent(r).getVolumes().stream()
            .filter(v -> v.getName().equals("node-identity"))
            .findFirst()
            .orElseThrow();
    var projection = token.getProjected().getSources().get(0).getServiceAccountToken();
    assertEquals("kiam-test", projection.getAudience());
    assertTrue(
        agent(r)
            .getContainers()
            .get(0)
            .getArgs()
            .contains("--node-identity-token=/var/run/secrets/kiam/node-identity/token"));
    assertTrue(serverArgs(r).contains("--require-node-identity"));
    assertTrue(serverArgs(r).contains("--node-identity-audience=kiam-test"));
    assertTrue(reviewsTokens(r));
  }

  @Test
  void offByDefault() {
    Rendered r = KiamChart.render("");

    assertFalse(agent(r).getVolumes().stream().anyMatch(v -> v.getName().equals("node-identity")));
    assertFalse(serverArgs(r).contains("--require-node-identity"));
    assertFalse(reviewsTokens(r));
  }
}
