package io.kiam.testkit.sts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.model.AssumeRoleRequest;
import software.amazon.awssdk.services.sts.model.StsException;
import software.amazon.awssdk.services.sts.model.Tag;

/**
 * Session tags and SourceIdentity through the real SDK: the role's trust must allow sts:TagSession
 * and sts:SetSourceIdentity, each on its own, and the tags must have STS's shape.
 */
@Timeout(30)
class StsEndpointSessionTagsTest {
  private static StsEndpoint sts;
  private static StsClient client;

  @BeforeAll
  static void start() {
    sts =
        StsEndpoint.builder()
            .role(
                RoleSpec.of("tagged").trusting(RoleSpec.TAG_SESSION, RoleSpec.SET_SOURCE_IDENTITY))
            .role(RoleSpec.of("tags-only").trusting(RoleSpec.TAG_SESSION))
            .role("plain")
            .start();
    client = StsClients.base(sts);
  }

  @AfterAll
  static void stop() {
    client.close();
    sts.close();
  }

  @AfterEach
  void reset() {
    sts.reset();
  }

  private static AssumeRoleRequest.Builder tagged(String role, Tag... tags) {
    return AssumeRoleRequest.builder()
        .roleArn(sts.roleArn(role))
        .roleSessionName("kiam-kiam")
        .tags(tags);
  }

  private static Tag tag(String key, String value) {
    return Tag.builder().key(key).value(value).build();
  }

  private static StsException refused(AssumeRoleRequest.Builder request) {
    return assertThrows(StsException.class, () -> client.assumeRole(request.build()));
  }

  @Test
  void aRoleTrustingTagSessionAndSetSourceIdentityIssuesATaggedSession() {
    var response =
        client.assumeRole(
            tagged(
                    "tagged",
                    tag("kubernetes-namespace", "shop"),
                    tag("kubernetes-pod-name", "web-1"))
                .sourceIdentity("shop.web-1")
                .build());

    assertEquals("shop.web-1", response.sourceIdentity());
    AssumeRoleCall call = sts.calls().assumeRoleCalls("tagged").get(0);
    assertEquals(
        Map.of("kubernetes-namespace", "shop", "kubernetes-pod-name", "web-1"), call.tags());
  }

  @Test
  void tagsForARoleWhoseTrustLacksTagSessionAreAccessDenied() {
    StsException e = refused(tagged("plain", tag("kubernetes-namespace", "shop")));

    assertEquals(403, e.statusCode());
    assertEquals("AccessDenied", e.awsErrorDetails().errorCode());
    assertEquals(
        "User: "
            + sts.baseCredentials().get(0).arn()
            + " is not authorized to perform: sts:TagSession on resource: "
            + sts.roleArn("plain"),
        e.awsErrorDetails().errorMessage());
    assertEquals(CallOutcome.ACCESS_DENIED, outcome("plain"));
  }

  @Test
  void aSourceIdentityNeedsSetSourceIdentityInTheTrustOfItsOwn() {
    StsException e =
        refused(tagged("tags-only", tag("kubernetes-namespace", "shop")).sourceIdentity("shop.w"));

    assertEquals("AccessDenied", e.awsErrorDetails().errorCode());
    assertEquals(
        "User: "
            + sts.baseCredentials().get(0).arn()
            + " is not authorized to perform: sts:SetSourceIdentity on resource: "
            + sts.roleArn("tags-only"),
        e.awsErrorDetails().errorMessage());
  }

  @Test
  void aTagValueLongerThan256IsAValidationError() {
    StsException e = refused(tagged("tagged", tag("k", "v".repeat(257))));

    assertEquals("ValidationError", e.awsErrorDetails().errorCode());
    assertEquals(
        "1 validation error detected: Value '"
            + "v".repeat(257)
            + "' at 'tags.1.member.value' failed to satisfy constraint: Member must have length"
            + " less than or equal to 256",
        e.awsErrorDetails().errorMessage());
  }

  @Test
  void aTagKeyWithACharacterOutsideStsSetIsAValidationError() {
    StsException e = refused(tagged("tagged", tag("pod#name", "web")));

    assertEquals("ValidationError", e.awsErrorDetails().errorCode());
    assertEquals(
        "1 validation error detected: Value 'pod#name' at 'tags.1.member.key' failed to satisfy"
            + " constraint: Member must satisfy regular expression pattern:"
            + " [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+",
        e.awsErrorDetails().errorMessage());
  }

  @Test
  void fiftyTagsAreAcceptedAndTheReservedPrefixIsNot() {
    Tag[] fifty =
        java.util.stream.IntStream.range(0, 50)
            .mapToObj(i -> tag("k" + i, "v"))
            .toArray(Tag[]::new);
    client.assumeRole(tagged("tagged", fifty).build());

    StsException e = refused(tagged("tagged", tag("aws:pod", "web")));
    assertEquals("ValidationError", e.awsErrorDetails().errorCode());
  }

  @Test
  void aSourceIdentityOutsideStsCharactersIsAValidationError() {
    StsException e = refused(tagged("tagged", tag("k", "v")).sourceIdentity("shop/web-1"));

    assertEquals("ValidationError", e.awsErrorDetails().errorCode());
    assertEquals(
        "1 validation error detected: Value 'shop/web-1' at 'sourceIdentity' failed to satisfy"
            + " constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
        e.awsErrorDetails().errorMessage());
    assertEquals(
        List.of(),
        sts.calls().assumeRoleCalls("tagged").stream()
            .filter(c -> c.outcome() == CallOutcome.ISSUED)
            .toList());
  }

  private static CallOutcome outcome(String role) {
    return sts.calls().assumeRoleCalls(role).get(0).outcome();
  }
}
