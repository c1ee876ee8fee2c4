package io.kiam.chart;

import static io.kiam.chart.KiamChart.NAMESPACE;
import static io.kiam.chart.KiamChart.SERVER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The server as the default values render it: placement, hardening, probes, RBAC, Service. */
class ServerManifestTest {
  private static final Rendered DEFAULTS = KiamChart.render("");

  private static Deployment deployment() {
    return DEFAULTS.one(Deployment.class, SERVER);
  }

  private static PodSpec pod() {
    return deployment().getSpec().getTemplate().getSpec();
  }

  private static Container container() {
    List<Container> containers = pod().getContainers();
    assertEquals(1, containers.size());
    return containers.get(0);
  }

  @Test
  void runsTwoReplicasNeverTwoOnOneNode() {
    assertEquals(2, deployment().getSpec().getReplicas());
    var antiAffinity = pod().getAffinity().getPodAntiAffinity();
    var terms = antiAffinity.getRequiredDuringSchedulingIgnoredDuringExecution();
    assertEquals(1, terms.size());
    assertEquals("kubernetes.io/hostname", terms.get(0).getTopologyKey());
    // the term must select the server pods themselves, or it keeps nothing apart
    assertEquals(
        deployment().getSpec().getSelector().getMatchLabels(),
        terms.get(0).getLabelSelector().getMatchLabels());
    // no surge: with one server per node a surge pod could not be scheduled
    assertEquals(
        0, deployment().getSpec().getStrategy().getRollingUpdate().getMaxSurge().getIntVal());
  }

  @Test
  void softAntiAffinityOnlyPrefersSpreading() {
    PodSpec soft =
        KiamChart.render("server:\n  podAntiAffinity: soft\n")
            .one(Deployment.class, SERVER)
            .getSpec()
            .getTemplate()
            .getSpec();
    var antiAffinity = soft.getAffinity().getPodAntiAffinity();
    assertTrue(antiAffinity.getRequiredDuringSchedulingIgnoredDuringExecution().isEmpty());
    var preferred = antiAffinity.getPreferredDuringSchedulingIgnoredDuringExecution();
    assertEquals("kubernetes.io/hostname", preferred.get(0).getPodAffinityTerm().getTopologyKey());
  }

  @Test
  void runsOnTheControlPlaneByDefault() {
    assertEquals(Map.of("node-role.kubernetes.io/control-plane", ""), pod().getNodeSelector());
    Set<String> tolerated = new TreeSet<>();
    for (Toleration t : pod().getTolerations()) {
      assertEquals("NoSchedule", t.getEffect());
      tolerated.add(t.getKey());
    }
    assertEquals(
        Set.of("node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master"),
        tolerated);
  }

  @Test
  void runsAsNonRootWithReadOnlyRootAndNoCapabilities() {
    var podSecurity = pod().getSecurityContext();
    assertEquals(Boolean.TRUE, podSecurity.getRunAsNonRoot());
    assertTrue(podSecurity.getRunAsUser() > 0);
    assertEquals("RuntimeDefault", podSecurity.getSeccompProfile().getType());
    var security = container().getSecurityContext();
    assertEquals(Boolean.TRUE, security.getReadOnlyRootFilesystem());
    assertEquals(Boolean.FALSE, security.getAllowPrivilegeEscalation());
    assertEquals(Boolean.FALSE, security.getPrivileged());
    assertEquals(List.of("ALL"), security.getCapabilities().getDrop());
    assertTrue(security.getCapabilities().getAdd().isEmpty(), "server adds no capability");
  }

  @Test
  void probesAreTheKubeletsOwnGrpcChecksOnThePlainTextHealthPort() {
    Container c = container();
    for (Probe probe : List.of(c.getStartupProbe(), c.getReadinessProbe(), c.getLivenessProbe())) {
      assertNotNull(probe);
      assertNull(probe.getExec(), "no second JVM per probe");
      assertEquals(9611, probe.getGrpc().getPort());
    }
    assertTrue(c.getArgs().contains("--health-listen-addr=0.0.0.0:9611"), c.getArgs()::toString);
    assertTrue(
        c.getPorts().stream()
            .anyMatch(p -> "health".equals(p.getName()) && p.getContainerPort() == 9611));
    // readiness waits for the informers' sync: a generous startup budget
    assertTrue(
        c.getStartupProbe().getFailureThreshold() * c.getStartupProbe().getPeriodSeconds() >= 120);
  }

  @Test
  void mountsTheServerCertificateAsADirectorySoRenewalsReachTheProcess() {
    VolumeMount mount =
        container().getVolumeMounts().stream()
            .filter(m -> m.getMountPath().equals("/etc/kiam/tls"))
            .findFirst()
            .orElseThrow();
    // a subPath mount is never updated when the Secret changes
    assertNull(mount.getSubPath());
    assertEquals(Boolean.TRUE, mount.getReadOnly());
    Volume volume =
        pod().getVolumes().stream()
            .filter(v -> v.getName().equals(mount.getName()))
            .findFirst()
            .orElseThrow();
    assertEquals("kiam-server-tls", volume.getSecret().getSecretName());
    // readable by the non-root user through fsGroup, by no one else
    assertEquals(0440, volume.getSecret().getDefaultMode());
    assertEquals(
        pod().getSecurityContext().getRunAsUser(), pod().getSecurityContext().getFsGroup());
  }

  @Test
  void headlessServiceSelectsTheServerPodsOnTheGrpcPort() {
    Service service = DEFAULTS.one(Service.class, SERVER);
    assertEquals("None", service.getSpec().getClusterIP());
    assertEquals(
        deployment().getSpec().getSelector().getMatchLabels(), service.getSpec().getSelector());
    assertEquals(9610, service.getSpec().getPorts().get(0).getPort());
    assertEquals("grpc", service.getSpec().getPorts().get(0).getTargetPort().getStrVal());
    assertTrue(
        container().getPorts().stream()
            .anyMatch(p -> p.getName().equals("grpc") && p.getContainerPort() == 9610));
  }

  @Test
  void disruptionBudgetKeepsOneServerUp() {
    PodDisruptionBudget pdb = DEFAULTS.one(PodDisruptionBudget.class, SERVER);
    assertEquals(1, pdb.getSpec().getMaxUnavailable().getIntVal());
    assertEquals(
        deployment().getSpec().getSelector().getMatchLabels(),
        pdb.getSpec().getSelector().getMatchLabels());
  }

  @Test
  void clusterRoleGrantsExactlyReadOnPodsAndNamespacesAndEventWrites() {
    ClusterRole role = DEFAULTS.one(ClusterRole.class, SERVER);
    Set<String> grants = new TreeSet<>();
    for (PolicyRule rule : role.getRules()) {
      assertTrue(rule.getResourceNames().isEmpty() && rule.getNonResourceURLs().isEmpty());
      for (String group : rule.getApiGroups()) {
        for (String resource : rule.getResources()) {
          for (String verb : rule.getVerbs()) {
            grants.add(group + "/" + resource + ":" + verb);
          }
        }
      }
    }
    assertEquals(
        new TreeSet<>(
            Set.of(
                "/pods:get",
                "/pods:list",
                "/pods:watch",
                "/namespaces:get",
                "/namespaces:list",
                "/namespaces:watch",
                "/events:create",
                "/events:patch",
                "events.k8s.io/events:create",
                "events.k8s.io/events:patch")),
        grants);

    ClusterRoleBinding binding = DEFAULTS.one(ClusterRoleBinding.class, SERVER);
    assertEquals(SERVER, binding.getRoleRef().getName());
    assertEquals(1, binding.getSubjects().size());
    assertEquals("ServiceAccount", binding.getSubjects().get(0).getKind());
    assertEquals(pod().getServiceAccountName(), binding.getSubjects().get(0).getName());
    assertEquals(NAMESPACE, binding.getSubjects().get(0).getNamespace());
    // the only binding in the chart: the agent gets no API rights
    assertEquals(1, DEFAULTS.all(ClusterRoleBinding.class).size());
  }

  @Test
  void serviceAccountCarriesAnnotationsForIrsa() {
    String arn = "arn:aws:iam::123456789012:role/kiam-server";
    Rendered irsa =
        KiamChart.render(
            "server:\n  serviceAccount:\n    annotations:\n      eks.amazonaws.com/role-arn: "
                + arn
                + "\n");
    ServiceAccount account = irsa.one(ServiceAccount.class, SERVER);
    assertEquals(arn, account.getMetadata().getAnnotations().get("eks.amazonaws.com/role-arn"));
  }

  @Test
  void passesPolicyFlagsFromValues() {
    Rendered custom =
        KiamChart.render(
            """
            server:
              roleBaseArn: arn:aws:iam::123456789012:role/kiam/
              assumeRoleArn: arn:aws:iam::123456789012:role/kiam-server
              region: eu-west-1
              sessionDuration: 2h
              log:
                format: json
            """);
    List<String> args =
        custom
            .one(Deployment.class, SERVER)
            .getSpec()
            .getTemplate()
            .getSpec()
            .getContainers()
            .get(0)
            .getArgs();
    assertTrue(
        args.contains("--role-base-arn=arn:aws:iam::123456789012:role/kiam/"), args::toString);
    assertFalse(args.contains("--role-base-arn-autodetect"), args::toString);
    assertTrue(args.contains("--assume-role-arn=arn:aws:iam::123456789012:role/kiam-server"));
    assertTrue(args.contains("--region=eu-west-1"));
    assertTrue(args.contains("--session-duration=2h"));
    assertTrue(args.contains("--log-format=json"));
    // the defaults: autodetected base ARN, a 60 minute session
    List<String> defaults = container().getArgs();
    assertTrue(defaults.contains("--role-base-arn-autodetect"), defaults::toString);
    assertTrue(defaults.contains("--session-duration=60m"), defaults::toString);
  }
}
