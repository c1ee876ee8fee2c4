package io.kiam.common.tls;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * One loaded snapshot of the PEM files: key and trust managers built from them. Keys may be PKCS#8,
 * PKCS#1 RSA or SEC1 EC, the forms Helm, cert-manager and openssl write.
 */
final class PemMaterial {
  private static final char[] NO_PASSWORD = new char[0];

  final X509ExtendedKeyManager keyManager;
  final X509ExtendedTrustManager trustManager;
  final Instant notAfter;
  final byte[] fingerprint;

  private PemMaterial(
      X509ExtendedKeyManager keyManager,
      X509ExtendedTrustManager trustManager,
      Instant notAfter,
      byte[] fingerprint) {
    this.keyManager = keyManager;
    this.trustManager = trustManager;
    this.notAfter = notAfter;
    this.fingerprint = fingerprint;
  }

  static PemMaterial load(TlsFiles files) {
    byte[] certBytes = read(files.cert(), "certificate");
    byte[] keyBytes = read(files.key(), "key");
    byte[] caBytes = read(files.ca(), "CA");
    List<X509Certificate> chain = certificates(certBytes, files.cert());
    List<X509Certificate> cas = certificates(caBytes, files.ca());
    PrivateKey key = privateKey(keyBytes, files.key());
    requireMatching(key, chain.get(0), files);
    try {
      KeyStore keyStore = KeyStore.getInstance("PKCS12");
      keyStore.load(null, null);
      keyStore.setKeyEntry("kiam", key, NO_PASSWORD, chain.toArray(new X509Certificate[0]));
      KeyManagerFactory kmf =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keyStore, NO_PASSWORD);

      KeyStore trustStore = KeyStore.getInstance("PKCS12");
      trustStore.load(null, null);
      for (int i = 0; i < cas.size(); i++) {
        trustStore.setCertificateEntry("ca-" + i, cas.get(i));
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trustStore);
      Instant notAfter =
          chain.stream()
              .map(c -> c.getNotAfter().toInstant())
              .min(Comparator.naturalOrder())
              .orElseThrow();
      return new PemMaterial(
          (X509ExtendedKeyManager) kmf.getKeyManagers()[0],
          (X509ExtendedTrustManager) tmf.getTrustManagers()[0],
          notAfter,
          fingerprint(certBytes, keyBytes, caBytes));
    } catch (IOException | java.security.GeneralSecurityException e) {
      throw new TlsException(
          "cannot use key " + files.key() + " with certificate " + files.cert() + ": " + e, e);
    }
  }

  /** A key that does not belong to the certificate would only fail later, in a handshake. */
  private static void requireMatching(PrivateKey key, X509Certificate cert, TlsFiles files) {
    String algorithm =
        switch (key.getAlgorithm()) {
          case "RSA" -> "SHA256withRSA";
          case "EC" -> "SHA256withECDSA";
          case "Ed25519", "EdDSA" -> "Ed25519";
          default -> null;
        };
    String problem = null;
    if (!key.getAlgorithm().equals(cert.getPublicKey().getAlgorithm())) {
      problem =
          "the key is "
              + key.getAlgorithm()
              + ", the certificate "
              + cert.getPublicKey().getAlgorithm();
    } else if (algorithm != null) {
      try {
        byte[] probe = "kiam-key-check".getBytes(StandardCharsets.US_ASCII);
        java.security.Signature signer = java.security.Signature.getInstance(algorithm);
        signer.initSign(key);
        signer.update(probe);
        byte[] signature = signer.sign();
        java.security.Signature verifier = java.security.Signature.getInstance(algorithm);
        verifier.initVerify(cert.getPublicKey());
        verifier.update(probe);
        if (!verifier.verify(signature)) {
          problem = "the key does not belong to the certificate";
        }
      } catch (java.security.GeneralSecurityException e) {
        problem = e.getMessage();
      }
    }
    if (problem != null) {
      throw new TlsException(
          "cannot use key " + files.key() + " with certificate " + files.cert() + ": " + problem);
    }
  }

  /** A digest of the three files' bytes, to tell whether anything changed on disk. */
  static byte[] fingerprint(TlsFiles files) {
    return fingerprint(
        read(files.cert(), "certificate"), read(files.key(), "key"), read(files.ca(), "CA"));
  }

  private static byte[] fingerprint(byte[]... parts) {
    try {
      java.security.MessageDigest digest = java.security.MessageDigest.getInstance("SHA-256");
      for (byte[] part : parts) {
        digest.update(part);
        digest.update((byte) 0);
      }
      return digest.digest();
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  boolean sameFiles(byte[] otherFingerprint) {
    return Arrays.equals(fingerprint, otherFingerprint);
  }

  private static byte[] read(Path path, String what) {
    try {
      return Files.readAllBytes(path);
    } catch (IOException e) {
      throw new TlsException("cannot read " + what + " file " + path + ": " + e.getMessage(), e);
    }
  }

  private static List<X509Certificate> certificates(byte[] pem, Path path) {
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      List<X509Certificate> out = new ArrayList<>();
      for (var cert : factory.generateCertificates(new java.io.ByteArrayInputStream(pem))) {
        out.add((X509Certificate) cert);
      }
      if (out.isEmpty()) {
        throw new TlsException("no certificate in " + path);
      }
      return out;
    } catch (CertificateException e) {
      throw new TlsException("malformed certificate in " + path + ": " + e.getMessage(), e);
    }
  }

  private static PrivateKey privateKey(byte[] pem, Path path) {
    try (Reader reader =
            new java.io.InputStreamReader(
                new java.io.ByteArrayInputStream(pem), StandardCharsets.US_ASCII);
        PEMParser parser = new PEMParser(reader)) {
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      for (Object object = parser.readObject(); object != null; object = parser.readObject()) {
        if (object instanceof PEMKeyPair pair) {
          return converter.getKeyPair(pair).getPrivate();
        }
        if (object instanceof PrivateKeyInfo info) {
          return converter.getPrivateKey(info);
        }
      }
      throw new TlsException("no private key in " + path);
    } catch (IOException e) {
      // The message of a PEM parse failure never contains key material, only the structure.
      throw new TlsException("malformed private key in " + path, e);
    }
  }
}
