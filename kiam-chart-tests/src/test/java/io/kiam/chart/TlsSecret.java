package io.kiam.chart;

import io.fabric8.kubernetes.api.model.Secret;
import io.kiam.common.tls.TlsFiles;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * A rendered kubernetes.io/tls Secret decoded: its certificate, key and CA as the pods see them.
 */
record TlsSecret(String certPem, String keyPem, String caPem) {

  static TlsSecret of(Secret secret) {
    // a CA's own Secret has no ca.crt
    String ca = secret.getData().containsKey("ca.crt") ? decode(secret, "ca.crt") : null;
    return new TlsSecret(decode(secret, "tls.crt"), decode(secret, "tls.key"), ca);
  }

  X509Certificate certificate() {
    return parseCertificate(certPem);
  }

  X509Certificate ca() {
    return parseCertificate(caPem);
  }

  PrivateKey privateKey() {
    try (PEMParser parser = new PEMParser(new StringReader(keyPem))) {
      Object object = parser.readObject();
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      if (object instanceof PEMKeyPair pair) {
        return converter.getKeyPair(pair).getPrivate();
      }
      return converter.getPrivateKey((PrivateKeyInfo) object);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The three files as a Secret volume would hold them, in {@code dir}. */
  TlsFiles writeTo(Path dir) {
    try {
      Files.createDirectories(dir);
      Path cert = Files.writeString(dir.resolve("tls.crt"), certPem);
      Path key = Files.writeString(dir.resolve("tls.key"), keyPem);
      Path ca = Files.writeString(dir.resolve("ca.crt"), caPem);
      return new TlsFiles(cert, key, ca);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String decode(Secret secret, String key) {
    String value = secret.getData().get(key);
    if (value == null) {
      throw new AssertionError(secret.getMetadata().getName() + " has no " + key);
    }
    return new String(Base64.getDecoder().decode(value), StandardCharsets.US_ASCII);
  }

  static X509Certificate parseCertificate(String pem) {
    try {
      return (X509Certificate)
          CertificateFactory.getInstance("X.509")
              .generateCertificate(
                  new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
    } catch (CertificateException e) {
      throw new AssertionError("not a certificate: " + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    // the key never reaches a test report
    return "TlsSecret[" + certificate().getSubjectX500Principal() + "]";
  }
}
