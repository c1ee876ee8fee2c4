package io.kiam.testkit.sts;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/** Makes identifiers shaped like IAM's: access key ids, secrets, session tokens, unique ids. */
final class IamIds {
  private static final char[] UPPER_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".toCharArray();
  private static final char[] SECRET_ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".toCharArray();

  private IamIds() {}

  /** A unique id that stays the same for the same seed, as IAM's AROA.../AIDA... ids do. */
  static String stableId(String prefix, String seed) {
    byte[] digest = sha256(seed.getBytes(StandardCharsets.UTF_8));
    StringBuilder id = new StringBuilder(prefix);
    for (int i = 0; i < 17; i++) {
      id.append(UPPER_BASE32[(digest[i] & 0xff) % UPPER_BASE32.length]);
    }
    return id.toString();
  }

  /** A temporary access key id: ASIA followed by 16 characters, 20 in all. */
  static String temporaryAccessKeyId(SecureRandom random) {
    return "ASIA" + randomChars(random, UPPER_BASE32, 16);
  }

  static String secretAccessKey(SecureRandom random) {
    return randomChars(random, SECRET_ALPHABET, 40);
  }

  static String sessionToken(SecureRandom random) {
    byte[] bytes = new byte[270];
    random.nextBytes(bytes);
    return "IQoJb3JpZ2luX2VjE" + Base64.getEncoder().encodeToString(bytes);
  }

  private static String randomChars(SecureRandom random, char[] alphabet, int length) {
    char[] chars = new char[length];
    for (int i = 0; i < length; i++) {
      chars[i] = alphabet[random.nextInt(alphabet.length)];
    }
    return new String(chars);
  }

  static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK lacks SHA-256", e);
    }
  }
}
