package io.kiam.chart;

import static io.kiam.chart.KiamChart.AGENT;
import static io.kiam.chart.KiamChart.SERVER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The two alternatives to the chart's own PKI: cert-manager Certificates and existing Secrets. */
class TlsModesTest {
  private static final String CM = "cert-manager.io/v1";

  @Test
  void certManagerSelfSignedMakesItsOwnCaIssuerAndTwoCertificates() {
    Rendered rendered = KiamChart.render(Scenarios.CERT_MANAGER_SELF_SIGNED);
    assertTrue(rendered.all(Secret.class).isEmpty(), "cert-manager writes the Secrets");

    GenericKubernetesResource ca = rendered.oneGeneric(CM, "Certificate", "kiam-ca");
    assertEquals(Boolean.TRUE, ca.get("spec", "isCA"));
    assertEquals("kiam-selfsigned", ca.get("spec", "issuerRef", "name"));
    rendered.oneGeneric(CM, "Issuer", "kiam-selfsigned");
    GenericKubernetesResource caIssuer = rendered.oneGeneric(CM, "Issuer", "kiam-ca");
    assertEquals("kiam-ca", caIssuer.get("spec", "ca", "secretName"));

    GenericKubernetesResource server = rendered.oneGeneric(CM, "Certificate", SERVER);
    assertEquals(
        Map.of("name", "kiam-ca", "kind", "Issuer", "group", "cert-manager.io"),
        server.get("spec", "issuerRef"));
    assertServerCertificateSpec(server);
    assertEquals(secretVolume(rendered, true), server.get("spec", "secretName"));

    GenericKubernetesResource agent = rendered.oneGeneric(CM, "Certificate", AGENT);
    assertEquals(List.of("digital signature", "client auth"), agent.get("spec", "usages"));
    assertEquals(secretVolume(rendered, false), agent.get("spec", "secretName"));
    // the daemons read PKCS#8 without help; renewal draws a new key
    assertEquals("PKCS8", agent.get("spec", "privateKey", "encoding"));
    assertEquals("Always", agent.get("spec", "privateKey", "rotationPolicy"));
  }

  @Test
  void certManagerWithAnIssuerCreatesNoIssuerOfItsOwn() {
    Rendered rendered = KiamChart.render(Scenarios.CERT_MANAGER_CLUSTER_ISSUER);
    assertTrue(rendered.generic(CM, "Issuer").isEmpty());
    assertEquals(2, rendered.generic(CM, "Certificate").size());
    for (GenericKubernetesResource certificate : rendered.generic(CM, "Certificate")) {
      assertEquals(
          Map.of("name", "corporate-ca", "kind", "ClusterIssuer", "group", "cert-manager.io"),
          certificate.get("spec", "issuerRef"));
    }
    assertServerCertificateSpec(rendered.oneGeneric(CM, "Certificate", SERVER));
  }

  @Test
  void existingSecretsAreMountedAndNothingIsIssued() {
    Rendered rendered = KiamChart.render(Scenarios.EXISTING_SECRETS);
    assertTrue(rendered.all(Secret.class).isEmpty());
    assertTrue(rendered.generic(CM, "Certificate").isEmpty());
    assertEquals("my-kiam-server", secretVolume(rendered, true));
    assertEquals("my-kiam-agent", secretVolume(rendered, false));
  }

  @Test
  void existingModeWithoutSecretNamesFailsAtInstall() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                KiamChart.template(
                    "kiam", "tls:\n  mode: existing\n  existing:\n    serverSecret: only-one\n"));
    assertTrue(e.getMessage().contains("agentSecret"), e::getMessage);
  }

  private static void assertServerCertificateSpec(GenericKubernetesResource server) {
    List<?> dnsNames = server.get("spec", "dnsNames");
    assertTrue(dnsNames.contains("kiam-server.kiam-system.svc.cluster.local"), dnsNames::toString);
    assertTrue(dnsNames.contains("kiam-server.kiam-system.svc"), dnsNames::toString);
    assertEquals(List.of("127.0.0.1"), server.get("spec", "ipAddresses"));
    List<?> usages = server.get("spec", "usages");
    assertTrue(usages.containsAll(List.of("server auth", "client auth")), usages::toString);
  }

  private static String secretVolume(Rendered rendered, boolean server) {
    var volumes =
        server
            ? rendered.one(Deployment.class, SERVER).getSpec().getTemplate().getSpec().getVolumes()
            : rendered.one(DaemonSet.class, AGENT).getSpec().getTemplate().getSpec().getVolumes();
    return volumes.stream()
        .filter(v -> v.getName().equals("tls"))
        .findFirst()
        .orElseThrow()
        .getSecret()
        .getSecretName();
  }
}
