package io.kiam.testkit.sts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.model.AssumeRoleRequest;
import software.amazon.awssdk.services.sts.model.StsException;
import software.amazon.awssdk.services.sts.model.Tag;

@Timeout(30)
class StsEndpointValidationTest {
  private static final String APP = "arn:aws:iam::123456789012:role/app";
  private static StsEndpoint sts;
  private static StsClient client;

  @BeforeAll
  static void start() {
    sts = StsEndpoint.builder().role("app").start();
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

  static Stream<Arguments> invalidRequests() {
    return Stream.of(
        invalid(
            "session name too short",
            r -> r.roleSessionName("a"),
            "1 validation error detected: Value 'a' at 'roleSessionName' failed to satisfy"
                + " constraint: Member must have length greater than or equal to 2"),
        invalid(
            "session name with bad characters",
            r -> r.roleSessionName("pod name!"),
            "1 validation error detected: Value 'pod name!' at 'roleSessionName' failed to satisfy"
                + " constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"),
        invalid(
            "session name too long",
            r -> r.roleSessionName("s".repeat(65)),
            "1 validation error detected: Value '"
                + "s".repeat(65)
                + "' at 'roleSessionName' failed to satisfy constraint: Member must have length"
                + " less than or equal to 64"),
        invalid(
            "session name missing",
            r -> r.roleSessionName(null),
            "1 validation error detected: Value null at 'roleSessionName' failed to satisfy"
                + " constraint: Member must not be null"),
        invalid(
            "duration too short",
            r -> r.durationSeconds(899),
            "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy"
                + " constraint: Member must have value greater than or equal to 900"),
        invalid(
            "duration too long",
            r -> r.durationSeconds(43201),
            "1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy"
                + " constraint: Member must have value less than or equal to 43200"),
        invalid(
            "duration above the role's maximum",
            r -> r.durationSeconds(3601),
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."),
        invalid(
            "external id too short",
            r -> r.externalId("x"),
            "1 validation error detected: Value 'x' at 'externalId' failed to satisfy constraint:"
                + " Member must have length greater than or equal to 2"),
        invalid(
            "external id with bad characters",
            r -> r.externalId("ext id"),
            "1 validation error detected: Value 'ext id' at 'externalId' failed to satisfy"
                + " constraint: Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*"),
        invalid(
            "source identity too short",
            r -> r.sourceIdentity("a"),
            "1 validation error detected: Value 'a' at 'sourceIdentity' failed to satisfy"
                + " constraint: Member must have length greater than or equal to 2"),
        invalid(
            "too many tags",
            r -> r.tags(tags(51)),
            "1 validation error detected: Value '[51 tags]' at 'tags' failed to satisfy"
                + " constraint: Member must have length less than or equal to 50"),
        invalid(
            "tag key too long",
            r -> r.tags(Tag.builder().key("k".repeat(129)).value("v").build()),
            "1 validation error detected: Value '"
                + "k".repeat(129)
                + "' at 'tags.1.member.key' failed to satisfy constraint: Member must have length"
                + " less than or equal to 128"),
        invalid(
            "role ARN too short",
            r -> r.roleArn("arn:aws:iam::1:r/x"),
            "1 validation error detected: Value 'arn:aws:iam::1:r/x' at 'roleArn' failed to"
                + " satisfy constraint: Member must have length greater than or equal to 20"),
        invalid(
            "role ARN of the wrong shape",
            r -> r.roleArn("arn:aws:s3:::my-bucket/role/app"),
            "Request ARN is invalid"),
        invalid(
            "two problems at once",
            r -> r.roleSessionName("a").durationSeconds(100),
            "2 validation errors detected: Value 'a' at 'roleSessionName' failed to satisfy"
                + " constraint: Member must have length greater than or equal to 2; Value '100' at"
                + " 'durationSeconds' failed to satisfy constraint: Member must have value greater"
                + " than or equal to 900"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidRequests")
  void refusesWithValidationError(
      String description, Consumer<AssumeRoleRequest.Builder> change, String message) {
    AssumeRoleRequest.Builder request =
        AssumeRoleRequest.builder().roleArn(APP).roleSessionName("valid-session");
    change.accept(request);

    StsException e = assertThrows(StsException.class, () -> client.assumeRole(request.build()));

    assertEquals("ValidationError", e.awsErrorDetails().errorCode());
    assertEquals(400, e.statusCode());
    assertEquals(message, e.awsErrorDetails().errorMessage());
    assertEquals(1, sts.calls().assumeRoleCount(CallOutcome.VALIDATION_ERROR));
    assertEquals(0, sts.calls().assumeRoleCount(CallOutcome.ISSUED));
  }

  private static Arguments invalid(
      String description, Consumer<AssumeRoleRequest.Builder> change, String message) {
    return Arguments.of(description, change, message);
  }

  private static List<Tag> tags(int n) {
    return IntStream.rangeClosed(1, n)
        .mapToObj(i -> Tag.builder().key("k" + i).value("v").build())
        .toList();
  }
}
