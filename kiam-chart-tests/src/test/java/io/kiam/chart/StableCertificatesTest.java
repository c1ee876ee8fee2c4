package io.kiam.chart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What `helm upgrade` does with the generated certificates: the templates look the Secrets up in
 * the cluster (here the loopback API server) and keep them, so agents and servers keep trusting
 * each other.
 */
class StableCertificatesTest {
  // its own release, so the Secrets seeded here never meet the other tests' renders
  private static final String RELEASE = "upgrade";
  private static final List<String> SECRETS =
      List.of("upgrade-kiam-ca", "upgrade-kiam-server-tls", "upgrade-kiam-agent-tls");

  private final NamespacedKubernetesClient cluster = LoopbackApiServer.client();

  @AfterEach
  void removeSeededSecrets() {
    for (String name : SECRETS) {
      cluster.secrets().inNamespace(KiamChart.NAMESPACE).withName(name).delete();
    }
  }

  @Test
  void upgradeKeepsTheCaAndBothCertificates() {
    Map<String, Secret> installed = secrets(render(""));
    installed.values().forEach(this::store);

    Map<String, Secret> upgraded = secrets(render(""));
    for (String name : SECRETS) {
      assertEquals(installed.get(name).getData(), upgraded.get(name).getData(), name);
    }
  }

  @Test
  void changedServerNamesReissueOnlyTheServerCertificateFromTheSameCa() throws Exception {
    Map<String, Secret> installed = secrets(render(""));
    installed.values().forEach(this::store);

    Map<String, Secret> upgraded =
        secrets(render("tls:\n  extraServerDnsNames: [kiam.example.internal]\n"));
    assertEquals(
        installed.get("upgrade-kiam-ca").getData(), upgraded.get("upgrade-kiam-ca").getData());
    assertEquals(
        installed.get("upgrade-kiam-agent-tls").getData(),
        upgraded.get("upgrade-kiam-agent-tls").getData());
    TlsSecret server = TlsSecret.of(upgraded.get("upgrade-kiam-server-tls"));
    assertNotEquals(
        TlsSecret.of(installed.get("upgrade-kiam-server-tls")).certPem(), server.certPem());
    // the agents' existing trust still holds for the new certificate
    server
        .certificate()
        .verify(TlsSecret.of(installed.get("upgrade-kiam-ca")).certificate().getPublicKey());
    ChartCertificatesTest.assertKeyBelongsToCertificate(server);
  }

  @Test
  void aLostAgentSecretIsReissuedFromTheKeptCa() throws Exception {
    Map<String, Secret> installed = secrets(render(""));
    store(installed.get("upgrade-kiam-ca"));
    store(installed.get("upgrade-kiam-server-tls"));

    Map<String, Secret> upgraded = secrets(render(""));
    assertEquals(
        installed.get("upgrade-kiam-server-tls").getData(),
        upgraded.get("upgrade-kiam-server-tls").getData());
    TlsSecret agent = TlsSecret.of(upgraded.get("upgrade-kiam-agent-tls"));
    agent
        .certificate()
        .verify(TlsSecret.of(installed.get("upgrade-kiam-ca")).certificate().getPublicKey());
  }

  private void store(Secret secret) {
    cluster.secrets().inNamespace(KiamChart.NAMESPACE).resource(secret).create();
  }

  private static Rendered render(String values) {
    // never the shared cache: each render here must see the cluster as it is now
    return Rendered.parse(KiamChart.template(RELEASE, values));
  }

  private static Map<String, Secret> secrets(Rendered rendered) {
    return Map.of(
        SECRETS.get(0), rendered.one(Secret.class, SECRETS.get(0)),
        SECRETS.get(1), rendered.one(Secret.class, SECRETS.get(1)),
        SECRETS.get(2), rendered.one(Secret.class, SECRETS.get(2)));
  }
}
