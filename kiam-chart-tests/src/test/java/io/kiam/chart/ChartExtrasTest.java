package io.kiam.chart;

import static io.kiam.chart.KiamChart.AGENT;
import static io.kiam.chart.KiamChart.SERVER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.kiam.agent.AgentCommand;
import io.kiam.common.cli.KiamCli;
import io.kiam.server.ServerCommand;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The values operators expect of a chart: extra flags and environment, topology spread, priority, a
 * server NetworkPolicy, the alerts as a PrometheusRule, and the Kubernetes version it needs.
 */
class ChartExtrasTest {

  private static PodSpec serverPod(String values) {
    return KiamChart.render(values).one(Deployment.class, SERVER).getSpec().getTemplate().getSpec();
  }

  private static Container agent(String values) {
    return KiamChart.render(values)
        .one(DaemonSet.class, AGENT)
        .getSpec()
        .getTemplate()
        .getSpec()
        .getContainers()
        .get(0);
  }

  private static String error(String values) {
    return assertThrows(IllegalStateException.class, () -> KiamChart.template("kiam", values))
        .getMessage();
  }

  @Test
  void extraArgsFollowTheChartsFlagsAndTheDaemonsAcceptThem() {
    Container server =
        serverPod("server:\n  extraArgs: [\"--pod-wait=500ms\"]\n").getContainers().get(0);
    assertEquals("--pod-wait=500ms", server.getArgs().get(server.getArgs().size() - 1));
    assertEquals(500, podWaitMillis(server));

    Container agent = agent("agent:\n  extraArgs: [\"--require-imdsv2\"]\n");
    assertEquals("--require-imdsv2", agent.getArgs().get(agent.getArgs().size() - 1));
    AgentCommand agentCommand = new AgentCommand();
    KiamCli.commandLine("kiam-agent", agentCommand).parseArgs(ContainerArgs.expanded(agent));
    assertTrue(agentCommand.config().requireImdsv2());
  }

  private static long podWaitMillis(Container server) {
    return KiamCli.commandLine("kiam-server", new ServerCommand())
        .parseArgs(ContainerArgs.expanded(server))
        .<java.time.Duration>matchedOptionValue("--pod-wait", null)
        .toMillis();
  }

  @Test
  void extraEnvIsAddedToBothDaemons() {
    String values =
        """
        server:
          extraEnv:
            - {name: AWS_STS_REGIONAL_ENDPOINTS, value: regional}
            - name: HTTPS_PROXY
              valueFrom: {secretKeyRef: {name: proxy, key: url}}
        agent:
          extraEnv:
            - {name: NO_PROXY, value: "169.254.169.254"}
        """;
    List<EnvVar> server = serverPod(values).getContainers().get(0).getEnv();
    assertTrue(
        server.stream()
            .anyMatch(
                e ->
                    e.getName().equals("AWS_STS_REGIONAL_ENDPOINTS")
                        && e.getValue().equals("regional")));
    assertTrue(
        server.stream()
            .anyMatch(
                e ->
                    e.getName().equals("HTTPS_PROXY")
                        && e.getValueFrom().getSecretKeyRef().getKey().equals("url")));
    // the chart's own variables stay
    assertTrue(server.stream().anyMatch(e -> e.getName().equals("JAVA_TOOL_OPTIONS")));
    List<EnvVar> agentEnv = agent(values).getEnv();
    assertTrue(agentEnv.stream().anyMatch(e -> e.getName().equals("NO_PROXY")));
    assertTrue(agentEnv.stream().anyMatch(e -> e.getName().equals("HOST_IP")));
  }

  @Test
  void topologySpreadSelectsTheServerPodsUnlessGivenASelector() {
    PodSpec pod =
        serverPod(
            """
            server:
              topologySpreadConstraints:
                - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway}
                - maxSkew: 2
                  topologyKey: kubernetes.io/hostname
                  whenUnsatisfiable: DoNotSchedule
                  labelSelector: {matchLabels: {team: platform}}
            """);
    List<TopologySpreadConstraint> constraints = pod.getTopologySpreadConstraints();
    assertEquals(2, constraints.size());
    Map<String, String> serverLabels =
        KiamChart.render("").one(Deployment.class, SERVER).getSpec().getSelector().getMatchLabels();
    assertEquals("topology.kubernetes.io/zone", constraints.get(0).getTopologyKey());
    assertEquals(serverLabels, constraints.get(0).getLabelSelector().getMatchLabels());
    assertEquals(
        Map.of("team", "platform"), constraints.get(1).getLabelSelector().getMatchLabels());
    assertTrue(serverPod("").getTopologySpreadConstraints().isEmpty());
  }

  @Test
  void serverIsClusterCriticalByDefaultAndTheClassIsAValue() {
    assertEquals("system-cluster-critical", serverPod("").getPriorityClassName());
    assertEquals(
        "kiam-high", serverPod("server:\n  priorityClassName: kiam-high\n").getPriorityClassName());
  }

  @Test
  void networkPolicyAdmitsOnlyTheNodesToTheGrpcAndHealthPorts() {
    Rendered rendered =
        KiamChart.render(
            """
            server:
              hostNetwork: false
              roleBaseArn: "arn:aws:iam::123456789012:role/"
              networkPolicy:
                enabled: true
                nodeCidrs: ["10.0.0.0/16", "10.1.0.0/16"]
                extraIngress:
                  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]
                    ports: [{port: 9620, protocol: TCP}]
            """);
    NetworkPolicy policy = rendered.one(NetworkPolicy.class, SERVER);
    assertEquals(List.of("Ingress"), policy.getSpec().getPolicyTypes());
    assertEquals(
        rendered.one(Deployment.class, SERVER).getSpec().getSelector().getMatchLabels(),
        policy.getSpec().getPodSelector().getMatchLabels());
    List<NetworkPolicyIngressRule> ingress = policy.getSpec().getIngress();
    assertEquals(2, ingress.size());
    assertEquals(
        List.of("10.0.0.0/16", "10.1.0.0/16"),
        ingress.get(0).getFrom().stream().map(p -> p.getIpBlock().getCidr()).toList());
    assertEquals(
        List.of(9610, 9611),
        ingress.get(0).getPorts().stream().map(p -> p.getPort().getIntVal()).toList());
    assertEquals(9620, ingress.get(1).getPorts().get(0).getPort().getIntVal());
    assertTrue(KiamChart.render("").all(NetworkPolicy.class).isEmpty(), "off by default");
  }

  @Test
  void networkPolicyIsRefusedWhereItWouldNotApply() {
    String hostNetwork =
        error("server:\n  networkPolicy: {enabled: true, nodeCidrs: [10.0.0.0/16]}\n");
    assertTrue(hostNetwork.contains("server.hostNetwork=false"), hostNetwork);
    String noCidrs =
        error(
            "server:\n  hostNetwork: false\n  roleBaseArn: 'arn:aws:iam::123456789012:role/'\n"
                + "  networkPolicy: {enabled: true}\n");
    assertTrue(noCidrs.contains("server.networkPolicy.nodeCidrs"), noCidrs);
  }

  @Test
  void prometheusRuleCarriesExactlyTheAlertsOfDeployPrometheus() throws Exception {
    GenericKubernetesResource rule =
        KiamChart.render(
                "metrics:\n  prometheusRule:\n    labels: {release: prometheus}\n    enabled: true\n")
            .oneGeneric("monitoring.coreos.com/v1", "PrometheusRule", "kiam-alerts");
    assertEquals("prometheus", rule.getMetadata().getLabels().get("release"));
    Map<String, Object> file =
        KiamChart.parse(
            Files.readString(KiamChart.REPO_ROOT.resolve("deploy/prometheus/kiam-alerts.yaml")));
    Object groups = rule.getAdditionalProperties().get("spec");
    assertEquals(Map.of("groups", file.get("groups")), groups);
    assertFalse(((List<?>) file.get("groups")).isEmpty());
    assertTrue(
        KiamChart.render("").generic("monitoring.coreos.com/v1", "PrometheusRule").isEmpty(),
        "off by default");
  }

  @Test
  void chartDeclaresTheKubernetesVersionItsProbesNeed() {
    Map<String, Object> chart = KiamChart.readYaml(KiamChart.DIR.resolve("Chart.yaml"));
    assertEquals(">=1.24.0-0", chart.get("kubeVersion"));
    LoopbackApiServer.client();
    String tooOld =
        assertThrows(
                IllegalStateException.class,
                () ->
                    new com.marcnuri.helm.Helm(KiamChart.DIR)
                        .template()
                        .withName("kiam")
                        .withKubeVersion("v1.23.0")
                        .call())
            .getMessage();
    assertTrue(tooOld.contains("kubeVersion") || tooOld.contains("1.24"), tooOld);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          an extra arg that is not a flag         | server: {extraArgs: ['explain']}                        | /server/extraArgs
          an extra arg smuggling a second flag    | agent: {extraArgs: ['--port 80']}                        | /agent/extraArgs
          an env var without a name               | server: {extraEnv: [{value: x}]}                        | /server/extraEnv
          an env var with a bad name              | agent: {extraEnv: [{name: 'A-B', value: x}]}             | /agent/extraEnv
          an env var with value and valueFrom     | server: {extraEnv: [{name: A, value: x, valueFrom: {}}]} | /server/extraEnv
          a spread without topologyKey            | server: {topologySpreadConstraints: [{maxSkew: 1, whenUnsatisfiable: DoNotSchedule}]} | /server/topologySpreadConstraints
          a spread with an unknown policy         | server: {topologySpreadConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: Maybe}]} | /server/topologySpreadConstraints
          a priority class with capitals          | server: {priorityClassName: Critical}                   | /server/priorityClassName
          a node range that is not a CIDR         | server: {networkPolicy: {nodeCidrs: ['10.0.0.0']}}       | /server/networkPolicy/nodeCidrs
          a misspelt network policy key           | server: {networkPolicy: {nodeCidr: ['10.0.0.0/8']}}      | nodeCidr
          a string for the rule switch            | metrics: {prometheusRule: {enabled: 'yes'}}              | /metrics/prometheusRule/enabled
          a health port out of range              | server: {probes: {healthPort: 70000}}                    | /server/probes/healthPort
          """)
  void schemaRefuses(String what, String values, String namedInError) {
    String message = error(values + "\n");
    assertTrue(message.contains("schema"), message);
    assertTrue(message.contains(namedInError), () -> what + ": " + message);
  }
}
