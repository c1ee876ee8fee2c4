package io.kiam.chart;

import static io.kiam.chart.KiamChart.AGENT;
import static io.kiam.chart.KiamChart.SERVER;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The CA and certificates the chart generates by default (tls.mode=helm), read as X.509. */
class ChartCertificatesTest {
  private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
  private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
  private static final Rendered DEFAULTS = KiamChart.render("");

  private static TlsSecret secret(Rendered rendered, String name) {
    return TlsSecret.of(rendered.one(Secret.class, name));
  }

  @Test
  void serverCertificateNamesTheHeadlessServiceAndLoopback() throws Exception {
    X509Certificate server = secret(DEFAULTS, "kiam-server-tls").certificate();
    Set<String> dns = new TreeSet<>();
    Set<String> ips = new TreeSet<>();
    for (List<?> san : server.getSubjectAlternativeNames()) {
      int type = (Integer) san.get(0);
      if (type == 2) {
        dns.add((String) san.get(1));
      } else if (type == 7) {
        ips.add((String) san.get(1));
      }
    }
    assertTrue(
        dns.containsAll(
            List.of(
                "kiam-server",
                "kiam-server.kiam-system",
                "kiam-server.kiam-system.svc",
                "kiam-server.kiam-system.svc.cluster.local")),
        dns::toString);
    assertEquals(Set.of("127.0.0.1"), ips);
    // the health probe presents this certificate as a client too
    assertTrue(server.getExtendedKeyUsage().containsAll(List.of(SERVER_AUTH, CLIENT_AUTH)));
  }

  @Test
  void bothCertificatesAreSignedByTheOneCaTheyCarry() throws Exception {
    TlsSecret ca = secret(DEFAULTS, "kiam-ca");
    X509Certificate caCert = ca.certificate();
    assertTrue(caCert.getBasicConstraints() >= 0, "the CA certificate is a CA");
    for (String name : List.of("kiam-server-tls", "kiam-agent-tls")) {
      TlsSecret leaf = secret(DEFAULTS, name);
      assertArrayEquals(caCert.getEncoded(), leaf.ca().getEncoded(), name + " ca.crt");
      leaf.certificate().verify(caCert.getPublicKey());
      assertEquals(caCert.getSubjectX500Principal(), leaf.certificate().getIssuerX500Principal());
      assertEquals(-1, leaf.certificate().getBasicConstraints(), name + " is no CA");
      assertKeyBelongsToCertificate(leaf);
    }
    assertTrue(
        secret(DEFAULTS, "kiam-agent-tls")
            .certificate()
            .getExtendedKeyUsage()
            .contains(CLIENT_AUTH));
  }

  @Test
  void certificatesLastAsLongAsTheValuesSay() {
    Instant now = Instant.now();
    X509Certificate server = secret(DEFAULTS, "kiam-server-tls").certificate();
    Duration left = Duration.between(now, server.getNotAfter().toInstant());
    assertTrue(left.toDays() >= 729 && left.toDays() <= 730, left::toString);
    Duration caLeft =
        Duration.between(now, secret(DEFAULTS, "kiam-ca").certificate().getNotAfter().toInstant());
    assertTrue(caLeft.toDays() >= 3649, caLeft::toString);
  }

  @Test
  void extraDnsNamesJoinTheServerCertificate() throws Exception {
    Rendered extra = KiamChart.render("tls:\n  extraServerDnsNames: [kiam.example.internal]\n");
    assertTrue(
        secret(extra, "kiam-server-tls").certificate().getSubjectAlternativeNames().stream()
            .anyMatch(san -> "kiam.example.internal".equals(san.get(1))));
  }

  @Test
  void theCaKeyIsMountedNowhere() {
    Stream<Volume> volumes =
        Stream.concat(
            DEFAULTS
                .one(Deployment.class, SERVER)
                .getSpec()
                .getTemplate()
                .getSpec()
                .getVolumes()
                .stream(),
            DEFAULTS
                .one(DaemonSet.class, AGENT)
                .getSpec()
                .getTemplate()
                .getSpec()
                .getVolumes()
                .stream());
    assertFalse(
        volumes.anyMatch(
            v -> v.getSecret() != null && v.getSecret().getSecretName().equals("kiam-ca")));
    // and the leaf Secrets carry no CA key
    for (String name : List.of("kiam-server-tls", "kiam-agent-tls")) {
      assertEquals(
          Set.of("tls.crt", "tls.key", "ca.crt"),
          DEFAULTS.one(Secret.class, name).getData().keySet());
    }
  }

  @Test
  void eachRenderWithoutAClusterDrawsNewKeys() {
    // two installs must never share a CA; stability comes only from the Secrets found in the
    // cluster
    Rendered other = KiamChart.render("clusterDomain: cluster.local\n");
    assertNotEquals(secret(DEFAULTS, "kiam-ca").certPem(), secret(other, "kiam-ca").certPem());
  }

  static void assertKeyBelongsToCertificate(TlsSecret secret) throws GeneralSecurityException {
    byte[] data = "kiam".getBytes(StandardCharsets.US_ASCII);
    String algorithm =
        secret.certificate().getPublicKey().getAlgorithm().equals("EC")
            ? "SHA256withECDSA"
            : "SHA256withRSA";
    Signature signer = Signature.getInstance(algorithm);
    signer.initSign(secret.privateKey());
    signer.update(data);
    byte[] signature = signer.sign();
    Signature verifier = Signature.getInstance(algorithm);
    verifier.initVerify(secret.certificate().getPublicKey());
    verifier.update(data);
    assertTrue(verifier.verify(signature), secret + ": key and certificate do not match");
  }
}
