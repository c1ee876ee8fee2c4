package io.kiam.testkit.sts;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Checks the AWS Signature Version 4 of a request (Authorization header form) against the
 * credentials the endpoint knows, and tells who signed it.
 */
final class SigV4Verifier {
  static final DateTimeFormatter AMZ_DATE =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
  private static final String MISMATCH =
      "The request signature we calculated does not match the signature you provided."
          + " Check your AWS Secret Access Key and signing method."
          + " Consult the service documentation for details.";

  /** Finds the identity behind an access key id. */
  @FunctionalInterface
  interface KnownCredentials {
    Optional<SigningIdentity> find(String accessKeyId);
  }

  private final String service;
  private final Clock clock;
  private final Duration maxSkew;
  private final KnownCredentials credentials;

  SigV4Verifier(String service, Clock clock, Duration maxSkew, KnownCredentials credentials) {
    this.service = Objects.requireNonNull(service);
    this.clock = Objects.requireNonNull(clock);
    this.maxSkew = Objects.requireNonNull(maxSkew);
    this.credentials = Objects.requireNonNull(credentials);
  }

  Caller verify(QueryRequest request) throws StsErrorException {
    String header = request.header("authorization");
    if (header == null) {
      throw new StsErrorException(StsError.missingAuthenticationToken());
    }
    SigV4Authorization auth = SigV4Authorization.parse(header);
    if (!auth.service().equals(service)) {
      throw mismatch("Credential should be scoped to correct service: '" + service + "'. ");
    }
    if (!auth.terminator().equals("aws4_request")) {
      throw mismatch(
          "Credential should be scoped with a valid terminator: 'aws4_request', not '"
              + auth.terminator()
              + "'. ");
    }
    // Token checks come before the time check: a token that expired is reported as such even
    // when the caller's clock and ours disagree (tests move the endpoint's clock forward).
    SigningIdentity identity =
        credentials
            .find(auth.accessKeyId())
            .orElseThrow(() -> new StsErrorException(StsError.invalidClientTokenId()));
    checkToken(identity, request.header("x-amz-security-token"));
    String amzDate = request.header("x-amz-date");
    checkDate(auth, amzDate);
    if (!auth.signedHeaders().contains("host")) {
      throw mismatch("'Host' must be a 'SignedHeader' in the AWS Authorization.");
    }
    String payloadHash = HexFormat.of().formatHex(IamIds.sha256(request.body()));
    String declaredHash = request.header("x-amz-content-sha256");
    if (declaredHash != null && !declaredHash.equals(payloadHash)) {
      throw mismatch(
          "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
    String canonical = CanonicalRequest.of(request, auth.signedHeaders(), payloadHash);
    String stringToSign =
        SigV4Authorization.ALGORITHM
            + '\n'
            + amzDate
            + '\n'
            + auth.credentialScope()
            + '\n'
            + HexFormat.of().formatHex(IamIds.sha256(canonical.getBytes(StandardCharsets.UTF_8)));
    byte[] expected = hmac(signingKey(identity.secretAccessKey(), auth), stringToSign);
    if (!MessageDigest.isEqual(expected, decodeHex(auth.signature()))) {
      throw mismatch(MISMATCH);
    }
    return Caller.of(identity, auth.region());
  }

  private void checkToken(SigningIdentity identity, String token) throws StsErrorException {
    boolean tokenMatches =
        identity.sessionToken() == null
            ? token == null
            : token != null
                && MessageDigest.isEqual(
                    identity.sessionToken().getBytes(StandardCharsets.UTF_8),
                    token.getBytes(StandardCharsets.UTF_8));
    if (!tokenMatches) {
      throw new StsErrorException(StsError.invalidClientTokenId());
    }
    if (identity.expiration() != null && !clock.instant().isBefore(identity.expiration())) {
      throw new StsErrorException(StsError.expiredToken());
    }
  }

  private void checkDate(SigV4Authorization auth, String amzDate) throws StsErrorException {
    if (amzDate == null) {
      throw new StsErrorException(
          StsError.incompleteSignature(
              "Authorization header requires existence of a 'X-Amz-Date' header."));
    }
    Instant signedAt;
    try {
      signedAt = Instant.from(AMZ_DATE.parse(amzDate));
    } catch (DateTimeParseException e) {
      throw new StsErrorException(
          StsError.incompleteSignature(
              "X-Amz-Date '"
                  + amzDate
                  + "' must be in the ISO8601 basic format yyyyMMdd'T'HHmmss'Z'."));
    }
    if (!amzDate.startsWith(auth.date())) {
      throw mismatch(
          "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from"
              + " HTTP: '"
              + auth.date()
              + "' != '"
              + amzDate.substring(0, 8)
              + "', from '"
              + amzDate
              + "'.");
    }
    Instant now = clock.instant();
    if (signedAt.isBefore(now.minus(maxSkew))) {
      throw mismatch(
          "Signature expired: "
              + amzDate
              + " is now earlier than "
              + AMZ_DATE.format(now.minus(maxSkew))
              + " ("
              + AMZ_DATE.format(now)
              + " - "
              + maxSkew.toMinutes()
              + " min.)");
    }
    if (signedAt.isAfter(now.plus(maxSkew))) {
      throw mismatch(
          "Signature not yet current: "
              + amzDate
              + " is still later than "
              + AMZ_DATE.format(now.plus(maxSkew))
              + " ("
              + AMZ_DATE.format(now)
              + " + "
              + maxSkew.toMinutes()
              + " min.)");
    }
  }

  private static byte[] signingKey(String secret, SigV4Authorization auth) {
    byte[] key = hmac(("AWS4" + secret).getBytes(StandardCharsets.UTF_8), auth.date());
    key = hmac(key, auth.region());
    key = hmac(key, auth.service());
    return hmac(key, auth.terminator());
  }

  private static byte[] hmac(byte[] key, String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK lacks HmacSHA256", e);
    }
  }

  private static byte[] decodeHex(String hex) throws StsErrorException {
    try {
      return HexFormat.of().parseHex(hex);
    } catch (IllegalArgumentException e) {
      throw mismatch(MISMATCH);
    }
  }

  private static StsErrorException mismatch(String message) {
    return new StsErrorException(StsError.signatureDoesNotMatch(message));
  }
}
