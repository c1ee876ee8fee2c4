package io.kiam.testkit.pki;

import io.kiam.common.tls.TlsFiles;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throw-away certificate authority for tests and the local mode: writes a CA and the server and
 * client certificates signed by it as PEM files, the way Helm or cert-manager would mount them.
 */
public final class TestPki {
  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Path dir;
  private final X500Name caName;
  private final KeyPair caKeys;
  private final X509Certificate caCert;
  private final Path caFile;

  private TestPki(Path dir, X500Name caName, KeyPair caKeys, X509Certificate caCert, Path caFile) {
    this.dir = dir;
    this.caName = caName;
    this.caKeys = caKeys;
    this.caCert = caCert;
    this.caFile = caFile;
  }

  /** A new CA named "kiam-test-ca" writing its files into {@code dir}. */
  public static TestPki create(Path dir) {
    return create(dir, "kiam-test-ca");
  }

  /** A new CA with the given common name (use another name for a foreign CA in negative tests). */
  public static TestPki create(Path dir, String commonName) {
    try {
      Files.createDirectories(dir);
      X500Name name = new X500Name("CN=" + commonName);
      KeyPair keys = ecKeys();
      Instant now = Instant.now();
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              name,
              serial(),
              Date.from(now.minus(Duration.ofMinutes(5))),
              Date.from(now.plus(Duration.ofDays(30))),
              name,
              keys.getPublic());
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      builder.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      X509Certificate cert = sign(builder, keys.getPrivate());
      Path caFile = dir.resolve(commonName + ".crt");
      writePem(caFile, cert);
      return new TestPki(dir, name, keys, cert, caFile);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The CA certificate's PEM file. */
  public Path caCert() {
    return caFile;
  }

  /** A server certificate for the given DNS names and IP addresses, valid for 30 days. */
  public TlsFiles issueServer(String name, List<String> subjectAltNames) {
    return issue(name, subjectAltNames, Duration.ofDays(30), KeyPurposeId.id_kp_serverAuth);
  }

  /** A client certificate (for the agent), valid for 30 days. */
  public TlsFiles issueClient(String name) {
    return issue(name, List.of(), Duration.ofDays(30), KeyPurposeId.id_kp_clientAuth);
  }

  /**
   * A certificate usable both ways, with the given validity; a validity in the past gives an
   * expired certificate for negative tests.
   */
  public TlsFiles issue(
      String name, List<String> subjectAltNames, Duration validity, KeyPurposeId... purposes) {
    try {
      KeyPair keys = ecKeys();
      Instant now = Instant.now();
      Instant notBefore = now.minus(Duration.ofMinutes(5));
      Instant notAfter = now.plus(validity);
      if (!notAfter.isAfter(notBefore)) {
        notBefore = notAfter.minus(Duration.ofHours(1));
      }
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              caName,
              serial(),
              Date.from(notBefore),
              Date.from(notAfter),
              new X500Name("CN=" + name),
              keys.getPublic());
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      builder.addExtension(
          Extension.keyUsage,
          true,
          new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      KeyPurposeId[] usages =
          purposes.length == 0
              ? new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}
              : purposes;
      builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(usages));
      if (!subjectAltNames.isEmpty()) {
        builder.addExtension(Extension.subjectAlternativeName, false, altNames(subjectAltNames));
      }
      X509Certificate cert = sign(builder, caKeys.getPrivate());
      Path certFile = dir.resolve(name + ".crt");
      Path keyFile = dir.resolve(name + ".key");
      writePem(certFile, cert);
      writePem(keyFile, new JcaPKCS8Generator(keys.getPrivate(), null).generate());
      return new TlsFiles(certFile, keyFile, caFile);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static GeneralNames altNames(List<String> names) {
    List<GeneralName> out = new ArrayList<>();
    for (String n : names) {
      boolean ip = n.matches("[0-9.]+") || n.contains(":");
      if (ip) {
        try {
          out.add(
              new GeneralName(
                  GeneralName.iPAddress,
                  new org.bouncycastle.asn1.DEROctetString(InetAddress.getByName(n).getAddress())));
        } catch (IOException e) {
          throw new IllegalArgumentException("not an IP address: " + n, e);
        }
      } else {
        out.add(new GeneralName(GeneralName.dNSName, n));
      }
    }
    return new GeneralNames(out.toArray(new GeneralName[0]));
  }

  private static KeyPair ecKeys() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static BigInteger serial() {
    return BigInteger.valueOf(SERIAL.incrementAndGet());
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key) {
    try {
      ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(key);
      return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
    } catch (Exception e) {
      throw new IllegalStateException("cannot sign test certificate", e);
    }
  }

  private static void writePem(Path file, Object object) throws IOException {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
      writer.writeObject(object);
    }
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, text.toString());
    Files.move(
        tmp,
        file,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }
}
