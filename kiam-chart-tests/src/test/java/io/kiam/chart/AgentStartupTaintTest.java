package io.kiam.chart;

import static io.kiam.chart.KiamChart.AGENT;
import static io.kiam.chart.KiamChart.NAMESPACE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.marcnuri.helm.Helm;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicyBinding;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.Validation;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.kiam.agent.AgentCommand;
import io.kiam.agent.node.StartupTaintConfig;
import io.kiam.common.cli.KiamCli;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The opt-in startup taint: off by default (the agent has no API access at all), and when on, the
 * agent's flags, its toleration and token, RBAC on nodes, and the admission policy that holds the
 * agent to removing one taint from its own node.
 */
class AgentStartupTaintTest {
  private static final String ON = "agent:\n  startupTaint:\n    enabled: true\n";
  private static final String KEY = "kiam.amazonaws.com/agent-not-ready";
  private static final String NAME = AGENT + "-startup-taint";

  private static PodSpec pod(String values) {
    return KiamChart.render(values).one(DaemonSet.class, AGENT).getSpec().getTemplate().getSpec();
  }

  private static AgentCommand agentFlags(String values) {
    AgentCommand command = new AgentCommand();
    KiamCli.commandLine("kiam-agent", command)
        .parseArgs(ContainerArgs.expanded(pod(values).getContainers().get(0)));
    return command;
  }

  @Test
  void offByDefaultTheAgentHasNoApiAccess() {
    Rendered rendered = KiamChart.render("");
    assertTrue(agentFlags("").startupTaint().isEmpty());
    assertTrue(rendered.all(ValidatingAdmissionPolicy.class).isEmpty());
    assertTrue(
        rendered.all(ClusterRole.class).stream()
            .noneMatch(r -> r.getMetadata().getName().equals(NAME)));
    PodSpec pod = pod("");
    assertFalse(pod.getAutomountServiceAccountToken());
    assertTrue(pod.getVolumes().stream().noneMatch(v -> v.getProjected() != null));
  }

  @Test
  void theAgentRemovesTheTaintItToleratesWithAProjectedToken() {
    StartupTaintConfig taint = agentFlags(ON).startupTaint().orElseThrow();
    assertEquals(KEY, taint.taintKey());
    assertEquals(Path.of("/var/run/secrets/kiam/kube/token"), taint.tokenFile());

    PodSpec pod = pod(ON);
    assertFalse(pod.getAutomountServiceAccountToken(), "only the main container gets a token");
    List<Toleration> tolerations = pod.getTolerations();
    assertTrue(
        tolerations.stream()
            .anyMatch(t -> KEY.equals(t.getKey()) && "NoSchedule".equals(t.getEffect())),
        tolerations::toString);
    Volume kubeApi =
        pod.getVolumes().stream()
            .filter(v -> v.getName().equals("kube-api"))
            .findFirst()
            .orElseThrow();
    assertTrue(
        kubeApi.getProjected().getSources().stream()
            .anyMatch(s -> s.getServiceAccountToken() != null));
    Container init = pod.getInitContainers().get(0);
    assertTrue(
        init.getVolumeMounts().stream().noneMatch(m -> m.getName().equals("kube-api")),
        "the init container needs no API access");
    Container agent = pod.getContainers().get(0);
    assertTrue(agent.getVolumeMounts().stream().anyMatch(m -> m.getName().equals("kube-api")));
  }

  @Test
  void aNarrowedTolerationListStillToleratesTheStartupTaint() {
    PodSpec pod =
        pod(
            "agent:\n  startupTaint:\n    enabled: true\n  tolerations:\n"
                + "    - key: dedicated\n      operator: Exists\n");
    assertEquals(
        List.of("dedicated", KEY), pod.getTolerations().stream().map(Toleration::getKey).toList());
  }

  @Test
  void rbacGrantsGetAndPatchOnNodesOnlyToTheAgentsAccount() {
    Rendered rendered = KiamChart.render(ON);
    ClusterRole role = rendered.one(ClusterRole.class, NAME);
    assertEquals(1, role.getRules().size());
    PolicyRule rule = role.getRules().get(0);
    assertEquals(List.of("nodes"), rule.getResources());
    assertEquals(List.of("get", "patch"), rule.getVerbs());
    ClusterRoleBinding binding = rendered.one(ClusterRoleBinding.class, NAME);
    assertEquals(NAME, binding.getRoleRef().getName());
    assertEquals(1, binding.getSubjects().size());
    assertEquals(AGENT, binding.getSubjects().get(0).getName());
    assertEquals(NAMESPACE, binding.getSubjects().get(0).getNamespace());
  }

  @Test
  void thePolicyHoldsTheAgentToOneTaintOnItsOwnNode() {
    Rendered rendered = KiamChart.render(ON);
    ValidatingAdmissionPolicy policy = rendered.one(ValidatingAdmissionPolicy.class, NAME);
    assertEquals("Fail", policy.getSpec().getFailurePolicy());
    assertEquals(
        "request.userInfo.username == 'system:serviceaccount:" + NAMESPACE + ":" + AGENT + "'",
        policy.getSpec().getMatchConditions().get(0).getExpression());
    List<String> checks =
        policy.getSpec().getValidations().stream().map(Validation::getExpression).toList();
    assertTrue(
        checks.contains(
            "size(variables.nodeClaim) == 1 && variables.nodeClaim[0] == object.metadata.name"),
        checks::toString);
    assertTrue(
        checks.contains(
            "variables.taintsNow == variables.taintsBefore.filter(t, t.key != '" + KEY + "')"),
        checks::toString);
    assertTrue(
        policy.getSpec().getVariables().stream()
            .anyMatch(v -> v.getExpression().contains("'authentication.kubernetes.io/node-name'")));

    ValidatingAdmissionPolicyBinding binding =
        rendered.one(ValidatingAdmissionPolicyBinding.class, NAME);
    assertEquals(NAME, binding.getSpec().getPolicyName());
    assertEquals(List.of("Deny"), binding.getSpec().getValidationActions());
  }

  @Test
  void withoutTheClaimRequiredAMissingClaimIsTheDocumentedFallback() {
    ValidatingAdmissionPolicy policy =
        KiamChart.render(ON + "    requireNodeClaim: false\n")
            .one(ValidatingAdmissionPolicy.class, NAME);
    assertTrue(
        policy.getSpec().getValidations().stream()
            .anyMatch(
                v ->
                    v.getExpression()
                        .equals(
                            "size(variables.nodeClaim) == 0"
                                + " || variables.nodeClaim[0] == object.metadata.name")));
  }

  @Test
  void aCustomKeyReachesTheFlagTheTolerationAndThePolicy() {
    String values = ON + "    key: example.com/kiam-pending\n";
    assertEquals(
        "example.com/kiam-pending", agentFlags(values).startupTaint().orElseThrow().taintKey());
    assertTrue(
        pod(values).getTolerations().stream()
            .anyMatch(t -> "example.com/kiam-pending".equals(t.getKey())));
    assertTrue(
        KiamChart.render(values)
            .one(ValidatingAdmissionPolicy.class, NAME)
            .getSpec()
            .getValidations()
            .stream()
            .anyMatch(v -> v.getExpression().contains("t.key != 'example.com/kiam-pending'")));
  }

  @Test
  void schemaRefusesAKeyKubernetesWouldRefuse() {
    String message =
        assertThrows(
                IllegalStateException.class,
                () -> KiamChart.template("kiam", ON + "    key: \"not a key\"\n"))
            .getMessage();
    assertTrue(message.contains("/agent/startupTaint/key"), message);
  }

  @Test
  void refusedBeforeKubernetes130WhereThePolicyApiIsMissing() {
    LoopbackApiServer.client();
    Path values = KiamChart.writeTemp("values-", ".yaml", ON);
    try {
      String message =
          assertThrows(
                  IllegalStateException.class,
                  () ->
                      new Helm(KiamChart.DIR)
                          .template()
                          .withName("kiam")
                          .withNamespace(NAMESPACE)
                          .withKubeVersion("v1.29.0")
                          .withValuesFile(values)
                          .call())
              .getMessage();
      assertTrue(message.contains("agent.startupTaint needs Kubernetes >= 1.30"), message);
    } finally {
      values.toFile().delete();
    }
  }
}
