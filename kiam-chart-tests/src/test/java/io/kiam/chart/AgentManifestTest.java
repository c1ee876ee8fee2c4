package io.kiam.chart;

import static io.kiam.chart.KiamChart.AGENT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The agent as the default values render it: node networking, capabilities, iptables, probes. */
class AgentManifestTest {
  private static final Rendered DEFAULTS = KiamChart.render("");

  static PodSpec pod(Rendered rendered) {
    return rendered.one(DaemonSet.class, AGENT).getSpec().getTemplate().getSpec();
  }

  static Container container(Rendered rendered) {
    List<Container> containers = pod(rendered).getContainers();
    assertEquals(1, containers.size());
    return containers.get(0);
  }

  @Test
  void sharesTheNodesNetworkAndStillResolvesClusterNames() {
    PodSpec pod = pod(DEFAULTS);
    assertEquals(Boolean.TRUE, pod.getHostNetwork());
    assertEquals("ClusterFirstWithHostNet", pod.getDnsPolicy());
    assertFalse(Boolean.TRUE.equals(pod.getHostPID()));
    assertFalse(Boolean.TRUE.equals(pod.getHostIPC()));
  }

  @Test
  void addsOnlyNetAdminAndNetRawAndDropsEverythingElse() {
    var security = container(DEFAULTS).getSecurityContext();
    assertEquals(Set.of("NET_ADMIN", "NET_RAW"), Set.copyOf(security.getCapabilities().getAdd()));
    assertEquals(2, security.getCapabilities().getAdd().size());
    assertEquals(List.of("ALL"), security.getCapabilities().getDrop());
    assertEquals(Boolean.FALSE, security.getPrivileged());
    assertEquals(Boolean.FALSE, security.getAllowPrivilegeEscalation());
    assertEquals(Boolean.TRUE, security.getReadOnlyRootFilesystem());
    assertEquals(
        "RuntimeDefault", pod(DEFAULTS).getSecurityContext().getSeccompProfile().getType());
  }

  @Test
  void hasNoKubernetesApiAccess() {
    assertEquals(Boolean.FALSE, pod(DEFAULTS).getAutomountServiceAccountToken());
    assertEquals(AGENT, pod(DEFAULTS).getServiceAccountName());
  }

  @Test
  void runsOnEveryNodeAsNodeCritical() {
    List<Toleration> tolerations = pod(DEFAULTS).getTolerations();
    assertEquals(1, tolerations.size());
    assertEquals("Exists", tolerations.get(0).getOperator());
    assertNull(tolerations.get(0).getKey(), "an empty key with Exists tolerates every taint");
    assertNull(tolerations.get(0).getEffect());
    assertEquals("system-node-critical", pod(DEFAULTS).getPriorityClassName());
  }

  @Test
  void takesHostIpFromTheDownwardApiAndPassesIt() {
    EnvVar hostIp =
        container(DEFAULTS).getEnv().stream()
            .filter(e -> e.getName().equals("HOST_IP"))
            .findFirst()
            .orElseThrow();
    assertEquals("status.hostIP", hostIp.getValueFrom().getFieldRef().getFieldPath());
    assertTrue(container(DEFAULTS).getArgs().contains("--host=$(HOST_IP)"));
  }

  @Test
  void takesTheNodeNameFromTheDownwardApiAndPassesIt() {
    EnvVar nodeName =
        container(DEFAULTS).getEnv().stream()
            .filter(e -> e.getName().equals("NODE_NAME"))
            .findFirst()
            .orElseThrow();
    assertEquals("spec.nodeName", nodeName.getValueFrom().getFieldRef().getFieldPath());
    assertTrue(container(DEFAULTS).getArgs().contains("--node-name=$(NODE_NAME)"));
  }

  @Test
  void installsTheRuleOnCalicoInterfacesAndKeepsItOnShutdown() {
    List<String> args = container(DEFAULTS).getArgs();
    assertTrue(args.contains("--iptables"), args::toString);
    assertEquals(
        List.of("--host-interface=cali+"),
        args.stream().filter(a -> a.startsWith("--host-interface")).toList());
    // removing the rule on restart would hand pods the node's own credentials
    assertTrue(args.stream().noneMatch(a -> a.startsWith("--iptables-remove")), args::toString);
    assertTrue(args.contains("--port=8181"));
  }

  @Test
  void takesTheAwsVpcCniInterfaceAndRemovalFromValues() {
    Rendered eni =
        KiamChart.render(
            """
            agent:
              hostInterfaces: ["eni+"]
              iptables:
                removeOnShutdown: true
            """);
    List<String> args = container(eni).getArgs();
    assertEquals(
        List.of("--host-interface=eni+"),
        args.stream().filter(a -> a.startsWith("--host-interface")).toList());
    assertTrue(args.contains("--iptables-remove"), args::toString);
  }

  @Test
  void callsEveryServerThroughTheHeadlessServiceName() {
    assertTrue(
        container(DEFAULTS)
            .getArgs()
            .contains("--server-address=dns:///kiam-server.kiam-system.svc.cluster.local:9610"));
  }

  @Test
  void sharesTheNodesXtablesLock() {
    VolumeMount mount =
        container(DEFAULTS).getVolumeMounts().stream()
            .filter(m -> m.getMountPath().equals("/run/xtables.lock"))
            .findFirst()
            .orElseThrow();
    Volume volume =
        pod(DEFAULTS).getVolumes().stream()
            .filter(v -> v.getName().equals(mount.getName()))
            .findFirst()
            .orElseThrow();
    assertEquals("/run/xtables.lock", volume.getHostPath().getPath());
    assertEquals("FileOrCreate", volume.getHostPath().getType());
    assertFalse(Boolean.TRUE.equals(mount.getReadOnly()), "iptables takes the lock for writing");
  }

  @Test
  void mountsOnlyItsOwnClientCertificate() {
    List<String> secrets =
        pod(DEFAULTS).getVolumes().stream()
            .filter(v -> v.getSecret() != null)
            .map(v -> v.getSecret().getSecretName())
            .toList();
    assertEquals(List.of("kiam-agent-tls"), secrets);
    VolumeMount tls =
        container(DEFAULTS).getVolumeMounts().stream()
            .filter(m -> m.getMountPath().equals("/etc/kiam/tls"))
            .findFirst()
            .orElseThrow();
    assertNull(tls.getSubPath(), "a subPath mount never sees a renewed certificate");
    // only the agent's own secret and the lock come from outside the pod
    assertEquals(
        List.of("/run/xtables.lock"),
        pod(DEFAULTS).getVolumes().stream()
            .filter(v -> v.getHostPath() != null)
            .map(v -> v.getHostPath().getPath())
            .toList());
  }

  @Test
  void livenessPingsAndReadinessChecksHealthOnTheAgentPort() {
    Container c = container(DEFAULTS);
    assertEquals("/ping", c.getLivenessProbe().getHttpGet().getPath());
    assertEquals(8181, c.getLivenessProbe().getHttpGet().getPort().getIntVal());
    assertEquals("/health", c.getReadinessProbe().getHttpGet().getPath());
    assertEquals(8181, c.getReadinessProbe().getHttpGet().getPort().getIntVal());
  }

  @Test
  void runsTheJvmWithSmallFootprintFlags() {
    String options =
        container(DEFAULTS).getEnv().stream()
            .filter(e -> e.getName().equals("JAVA_TOOL_OPTIONS"))
            .findFirst()
            .orElseThrow()
            .getValue();
    for (String flag :
        List.of(
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-XX:ActiveProcessorCount=2",
            "-Xss256k",
            "-Xmx48m",
            "-XX:MaxDirectMemorySize=32m",
            "-Dio.netty.allocator.type=unpooled")) {
      assertTrue(List.of(options.split("\\s+")).contains(flag), () -> flag + " in " + options);
    }
    assertEquals(
        "2",
        container(DEFAULTS).getEnv().stream()
            .filter(e -> e.getName().equals("MALLOC_ARENA_MAX"))
            .findFirst()
            .orElseThrow()
            .getValue());
    // heap, metaspace, code cache and direct memory are capped well inside the limit
    assertEquals("192Mi", container(DEFAULTS).getResources().getLimits().get("memory").toString());
  }
}
