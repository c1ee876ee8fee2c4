package io.kiam.testkit.sts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Checks the verifier against the worked example in AWS's SigV4 documentation, byte for byte. */
class SigV4VerifierTest {
  // docs.aws.amazon.com, "Create a signed AWS API request": IAM ListUsers, 2015-08-30.
  private static final String SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  private static final String SIGNATURE =
      "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";
  private static final Clock AT_SIGNING =
      Clock.fixed(Instant.parse("2015-08-30T12:36:00Z"), ZoneOffset.UTC);

  private final SigV4Verifier verifier =
      new SigV4Verifier(
          "iam",
          AT_SIGNING,
          Duration.ofMinutes(15),
          key ->
              key.equals("AKIDEXAMPLE")
                  ? Optional.of(
                      new SigningIdentity(
                          "AKIDEXAMPLE",
                          SECRET,
                          null,
                          null,
                          "arn:aws:iam::123456789012:user/example",
                          "AIDAEXAMPLE",
                          null))
                  : Optional.empty());

  @Test
  void acceptsAwsDocumentedExample() throws Exception {
    Caller caller = verifier.verify(listUsers(SIGNATURE, "Action=ListUsers&Version=2010-05-08"));

    assertEquals("arn:aws:iam::123456789012:user/example", caller.arn());
    assertEquals("us-east-1", caller.region());
  }

  @Test
  void canonicalQueryIsSortedWhateverTheOrderSent() throws Exception {
    verifier.verify(listUsers(SIGNATURE, "Version=2010-05-08&Action=ListUsers"));
  }

  @Test
  void refusesTheExampleWithOneCharacterChanged() {
    String wrong = SIGNATURE.substring(0, 63) + "8";

    StsErrorException e =
        assertThrows(
            StsErrorException.class,
            () -> verifier.verify(listUsers(wrong, "Action=ListUsers&Version=2010-05-08")));
    assertEquals("SignatureDoesNotMatch", e.error().code());
    assertThrows(
        StsErrorException.class,
        () -> verifier.verify(listUsers(SIGNATURE, "Action=ListGroups&Version=2010-05-08")));
  }

  @Test
  void encodesCanonicalQueryValuesPerRfc3986() throws Exception {
    assertEquals(
        "a=x%20y%2Bz~%2A&b=1&b=2", CanonicalRequest.canonicalQuery("b=2&a=x%20y%2Bz~%2A&b=1"));
    assertEquals("/", CanonicalRequest.canonicalUri("/"));
    assertEquals("/a%2520b/", CanonicalRequest.canonicalUri("/a%20b/"));
  }

  private static QueryRequest listUsers(String signature, String query) throws Exception {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    headers.put("Content-Type", List.of("application/x-www-form-urlencoded; charset=utf-8"));
    headers.put("Host", List.of("iam.amazonaws.com"));
    headers.put("X-Amz-Date", List.of("20150830T123600Z"));
    headers.put(
        "Authorization",
        List.of(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request,"
                + " SignedHeaders=content-type;host;x-amz-date, Signature="
                + signature));
    return new QueryRequest("GET", "/", query, headers, "".getBytes(StandardCharsets.UTF_8));
  }
}
