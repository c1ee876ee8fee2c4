package io.kiam.testkit.sts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiam.testkit.time.MutableClock;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.w3c.dom.Document;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.model.Credentials;
import software.amazon.awssdk.services.sts.model.StsException;

@Timeout(30)
class StsEndpointAuthenticationTest {
  private static final String ASSUME_APP =
      "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fapp"
          + "&RoleSessionName=honest";
  private static StsEndpoint sts;
  private static AwsCredentialsIdentity base;

  @BeforeAll
  static void start() {
    sts = StsEndpoint.builder().role("app").start();
    base =
        AwsCredentialsIdentity.create(
            StsEndpoint.DEFAULT_ACCESS_KEY_ID, StsEndpoint.DEFAULT_SECRET_ACCESS_KEY);
  }

  @AfterAll
  static void stop() {
    sts.close();
  }

  @AfterEach
  void reset() {
    sts.reset();
  }

  @Test
  void refusesARequestSignedWithAWrongSecret() {
    try (StsClient client =
        client(
            Region.US_EAST_1,
            AwsBasicCredentials.create(StsEndpoint.DEFAULT_ACCESS_KEY_ID, "not-the-secret"))) {
      StsException e = assertThrows(StsException.class, client::getCallerIdentity);
      assertEquals("SignatureDoesNotMatch", e.awsErrorDetails().errorCode());
      assertEquals(403, e.statusCode());
      assertNotNull(e.requestId());
    }
  }

  @Test
  void refusesAnUnknownAccessKey() {
    try (StsClient client =
        client(
            Region.EU_CENTRAL_1,
            AwsBasicCredentials.create(
                "AKIAUNKNOWNKEY000000", StsEndpoint.DEFAULT_SECRET_ACCESS_KEY))) {
      StsException e =
          assertThrows(
              StsException.class,
              () -> client.assumeRole(r -> r.roleArn(sts.roleArn("app")).roleSessionName("x1")));
      assertEquals("InvalidClientTokenId", e.awsErrorDetails().errorCode());
      assertEquals(403, e.statusCode());
    }
    assertEquals(
        0, sts.calls().assumeRoleCount(), "unauthenticated calls are not AssumeRole calls");
  }

  @Test
  void refusesAnIssuedKeyWithAnotherSessionToken() {
    Credentials issued = assumeApp(sts);
    try (StsClient client =
        client(
            Region.US_EAST_1,
            AwsSessionCredentials.create(
                issued.accessKeyId(), issued.secretAccessKey(), "forged-token"))) {
      StsException e = assertThrows(StsException.class, client::getCallerIdentity);
      assertEquals("InvalidClientTokenId", e.awsErrorDetails().errorCode());
    }
  }

  @Test
  void refusesIssuedCredentialsOnceTheyExpire() {
    MutableClock clock = new MutableClock();
    try (StsEndpoint expiring = StsEndpoint.builder().role("app").clock(clock).start();
        StsClient baseClient = StsClients.base(expiring)) {
      Credentials issued =
          baseClient
              .assumeRole(
                  r ->
                      r.roleArn(expiring.roleArn("app"))
                          .roleSessionName("short")
                          .durationSeconds(900))
              .credentials();
      try (StsClient asRole = StsClients.issued(expiring, issued)) {
        clock.advance(Duration.ofSeconds(899));
        assertEquals(
            "arn:aws:sts::123456789012:assumed-role/app/short", asRole.getCallerIdentity().arn());

        clock.advance(Duration.ofSeconds(1));
        StsException e = assertThrows(StsException.class, asRole::getCallerIdentity);
        assertEquals("ExpiredToken", e.awsErrorDetails().errorCode());
        // STS's ExpiredToken (the caller's own credentials) is not the model's
        // ExpiredTokenException (an expired web identity token): the SDK keeps it generic.
        StsException onAssume =
            assertThrows(
                StsException.class,
                () ->
                    asRole.assumeRole(
                        r -> r.roleArn(expiring.roleArn("app")).roleSessionName("again")));
        assertEquals("ExpiredToken", onAssume.awsErrorDetails().errorCode());
        assertEquals(400, e.statusCode());
      }
    }
  }

  @Test
  void refusesABodyChangedAfterSigning() throws Exception {
    RawStsRequest request = new RawStsRequest(sts.uri()).post(ASSUME_APP);
    SdkHttpRequest signed = request.sign(base);

    HttpResponse<String> honest = request.send(signed.headers(), ASSUME_APP);
    assertEquals(200, honest.statusCode(), honest.body());
    HttpResponse<String> tampered =
        request.send(signed.headers(), ASSUME_APP.replace("honest", "forged"));
    assertError(tampered, 403, "SignatureDoesNotMatch");

    Map<String, List<String>> withoutContentHash = new HashMap<>(signed.headers());
    withoutContentHash.remove("x-amz-content-sha256");
    assertError(
        request.send(withoutContentHash, ASSUME_APP.replace("honest", "forged")),
        403,
        "SignatureDoesNotMatch");
    assertEquals(
        List.of("honest"),
        sts.calls().assumeRoleCalls().stream().map(AssumeRoleCall::roleSessionName).toList());
  }

  @Test
  void refusesARequestWithoutSignatureWithAnStsErrorBody() throws Exception {
    HttpResponse<String> response = new RawStsRequest(sts.uri()).post(ASSUME_APP).sendUnsigned();

    Document error = assertError(response, 403, "MissingAuthenticationToken");
    assertEquals("ErrorResponse", error.getDocumentElement().getLocalName());
    assertEquals(StsXml.NAMESPACE, error.getDocumentElement().getNamespaceURI());
    assertEquals("Sender", RawStsRequest.text(error, "Type"));
    assertEquals(
        response.headers().firstValue("x-amzn-RequestId").orElseThrow(),
        RawStsRequest.text(error, "RequestId"));
    assertEquals("text/xml", response.headers().firstValue("Content-Type").orElseThrow());
  }

  @Test
  void refusesASignatureOlderThanFifteenMinutes() throws Exception {
    Clock past = Clock.fixed(Instant.now().minus(Duration.ofMinutes(16)), ZoneOffset.UTC);
    HttpResponse<String> response =
        new RawStsRequest(sts.uri()).post(ASSUME_APP).signingClock(past).sendSigned(base);

    Document error = assertError(response, 403, "SignatureDoesNotMatch");
    assertTrue(RawStsRequest.text(error, "Message").startsWith("Signature expired"));

    Clock slightlyOff = Clock.fixed(Instant.now().minus(Duration.ofMinutes(10)), ZoneOffset.UTC);
    assertEquals(
        200,
        new RawStsRequest(sts.uri())
            .post(ASSUME_APP)
            .signingClock(slightlyOff)
            .sendSigned(base)
            .statusCode());
  }

  @Test
  void refusesASignatureScopedToAnotherService() throws Exception {
    HttpResponse<String> response =
        new RawStsRequest(sts.uri()).post(ASSUME_APP).service("iam").sendSigned(base);

    Document error = assertError(response, 403, "SignatureDoesNotMatch");
    assertTrue(RawStsRequest.text(error, "Message").contains("'sts'"));
  }

  @Test
  void acceptsParametersInTheQueryStringOfAGet() throws Exception {
    HttpResponse<String> response =
        new RawStsRequest(sts.uri())
            .get("Version=2011-06-15&Action=GetCallerIdentity")
            .sendSigned(base);

    assertEquals(200, response.statusCode(), response.body());
    Document body = RawStsRequest.xml(response.body());
    assertEquals("GetCallerIdentityResponse", body.getDocumentElement().getLocalName());
    assertEquals(StsXml.NAMESPACE, body.getDocumentElement().getNamespaceURI());
    assertEquals("arn:aws:iam::123456789012:user/kiam-test", RawStsRequest.text(body, "Arn"));
    assertEquals(
        response.headers().firstValue("x-amzn-RequestId").orElseThrow(),
        RawStsRequest.text(body, "RequestId"));
  }

  @Test
  void answersAnUnknownActionOrVersionWithInvalidAction() throws Exception {
    assertError(
        new RawStsRequest(sts.uri())
            .post("Action=DeleteEverything&Version=2011-06-15")
            .sendSigned(base),
        400,
        "InvalidAction");
    assertError(
        new RawStsRequest(sts.uri())
            .post("Action=GetCallerIdentity&Version=2099-01-01")
            .sendSigned(base),
        400,
        "InvalidAction");
  }

  private static Document assertError(HttpResponse<String> response, int status, String code)
      throws Exception {
    assertEquals(status, response.statusCode(), response.body());
    Document error = RawStsRequest.xml(response.body());
    assertEquals(code, RawStsRequest.text(error, "Code"), response.body());
    return error;
  }

  private static Credentials assumeApp(StsEndpoint endpoint) {
    try (StsClient client = StsClients.base(endpoint)) {
      return client
          .assumeRole(r -> r.roleArn(endpoint.roleArn("app")).roleSessionName("auth-test"))
          .credentials();
    }
  }

  private static StsClient client(Region region, AwsCredentials credentials) {
    return StsClients.of(sts.uri(), region, credentials, AwsRetryStrategy.doNotRetry());
  }
}
