package io.kiam.agent.imds;

import io.kiam.common.imds.MetadataTokens;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import java.util.OptionalInt;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Issues and checks IMDSv2 session tokens: an HMAC over the caller's IP and the expiry, keyed with
 * a random per-process secret, so a token cannot be forged, outlives no restart, and is worthless
 * from any other pod.
 */
public final class TokenIssuer {
  /** The header a PUT carries the wanted lifetime in, and the response echoes. */
  public static final String TTL_HEADER = MetadataTokens.TTL_HEADER;

  /** The header a GET carries the token in. */
  public static final String TOKEN_HEADER = MetadataTokens.TOKEN_HEADER;

  /** The longest lifetime EC2 grants (6 hours). */
  public static final int MAX_TTL_SECONDS = MetadataTokens.MAX_TTL_SECONDS;

  private static final byte FORMAT = 1;
  private static final int MAC_BYTES = 32;
  private static final int TOKEN_BYTES = 1 + Long.BYTES + MAC_BYTES;
  private static final int ENCODED_CHARS = (TOKEN_BYTES * 8 + 5) / 6;
  // the low bits of the last character that carry no data: canonical tokens have them zero
  private static final int UNUSED_LOW_BITS_MASK = (1 << (ENCODED_CHARS * 6 - TOKEN_BYTES * 8)) - 1;
  private static final String ALGORITHM = "HmacSHA256";

  /** The outcome of checking a presented token. */
  public enum Check {
    VALID,
    MALFORMED,
    FORGED_OR_OTHER_CALLER,
    EXPIRED
  }

  private final Clock clock;
  private final SecretKeySpec key;
  private final ThreadLocal<Mac> macs;

  /** A new issuer with a fresh random key. */
  public TokenIssuer(Clock clock, SecureRandom random) {
    this.clock = clock;
    byte[] secret = new byte[32];
    random.nextBytes(secret);
    this.key = new SecretKeySpec(secret, ALGORITHM);
    this.macs = ThreadLocal.withInitial(this::newMac);
  }

  /** Parses the TTL header as EC2 does: a whole number of seconds in 1..21600. */
  public static OptionalInt parseTtl(String header) {
    if (header == null || header.isEmpty() || header.length() > 5) {
      return OptionalInt.empty();
    }
    for (int i = 0; i < header.length(); i++) {
      if (header.charAt(i) < '0' || header.charAt(i) > '9') {
        return OptionalInt.empty();
      }
    }
    int ttl = Integer.parseInt(header);
    return ttl >= 1 && ttl <= MAX_TTL_SECONDS ? OptionalInt.of(ttl) : OptionalInt.empty();
  }

  /** A token for {@code caller} valid for {@code ttlSeconds}. */
  public String issue(InetAddress caller, int ttlSeconds) {
    long expiry = clock.instant().getEpochSecond() + ttlSeconds;
    ByteBuffer token = ByteBuffer.allocate(TOKEN_BYTES);
    token.put(FORMAT).putLong(expiry).put(mac(caller, expiry));
    return Base64.getUrlEncoder().withoutPadding().encodeToString(token.array());
  }

  /**
   * Whether {@code token} was issued by this process to {@code caller} and is still valid. Only the
   * exact spelling this process issued is accepted: another base64url spelling of the same bytes
   * (padding, or data in the last character's unused bits) is malformed, so a token has one form.
   */
  public Check check(String token, InetAddress caller) {
    if (token.length() != ENCODED_CHARS
        || (base64UrlValue(token.charAt(ENCODED_CHARS - 1)) & UNUSED_LOW_BITS_MASK) != 0) {
      return Check.MALFORMED;
    }
    byte[] bytes;
    try {
      bytes = Base64.getUrlDecoder().decode(token);
    } catch (IllegalArgumentException e) {
      return Check.MALFORMED;
    }
    if (bytes.length != TOKEN_BYTES || bytes[0] != FORMAT) {
      return Check.MALFORMED;
    }
    ByteBuffer buffer = ByteBuffer.wrap(bytes, 1, TOKEN_BYTES - 1);
    long expiry = buffer.getLong();
    byte[] presented = new byte[MAC_BYTES];
    buffer.get(presented);
    if (!MessageDigest.isEqual(presented, mac(caller, expiry))) {
      return Check.FORGED_OR_OTHER_CALLER;
    }
    return clock.instant().getEpochSecond() < expiry ? Check.VALID : Check.EXPIRED;
  }

  /** The 6-bit value of a base64url character; -1 (all bits set) for any other character. */
  private static int base64UrlValue(char c) {
    if (c >= 'A' && c <= 'Z') {
      return c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      return c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      return c - '0' + 52;
    } else if (c == '-') {
      return 62;
    } else if (c == '_') {
      return 63;
    }
    return -1;
  }

  private byte[] mac(InetAddress caller, long expiry) {
    Mac mac = macs.get();
    mac.update(FORMAT);
    mac.update(ByteBuffer.allocate(Long.BYTES).putLong(expiry).array());
    mac.update(caller.getAddress());
    return mac.doFinal();
  }

  private Mac newMac() {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  @Override
  public String toString() {
    return "TokenIssuer[key=<secret>]";
  }
}
