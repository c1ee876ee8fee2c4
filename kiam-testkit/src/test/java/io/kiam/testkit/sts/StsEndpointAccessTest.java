package io.kiam.testkit.sts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.model.AssumeRoleRequest;
import software.amazon.awssdk.services.sts.model.Credentials;
import software.amazon.awssdk.services.sts.model.StsException;

@Timeout(30)
class StsEndpointAccessTest {
  private static final String SERVER_ARN = "arn:aws:iam::123456789012:role/kiam-server";
  private static final String OTHER_USER_ARN = "arn:aws:iam::123456789012:user/someone-else";
  private static StsEndpoint sts;
  private static StsClient client;

  @BeforeAll
  static void start() {
    sts =
        StsEndpoint.builder()
            .baseCredentials(
                StsEndpoint.DEFAULT_ACCESS_KEY_ID, StsEndpoint.DEFAULT_SECRET_ACCESS_KEY)
            .baseCredentials(
                BaseCredentials.of("AKIAOTHERUSER0000001", "other-secret", OTHER_USER_ARN))
            .role("kiam-server")
            .role(RoleSpec.of("billing").requiringExternalId("ext-123:a/b"))
            .role(RoleSpec.of("restricted").allowingOnly(SERVER_ARN, OTHER_USER_ARN))
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

  @Test
  void deniesARoleThatDoesNotExist() {
    StsException e = denied(client, r -> r.roleArn(sts.roleArn("nope")));

    assertEquals(
        "User: arn:aws:iam::123456789012:user/kiam-test is not authorized to perform:"
            + " sts:AssumeRole on resource: arn:aws:iam::123456789012:role/nope",
        e.awsErrorDetails().errorMessage());
    assertEquals(1, sts.calls().assumeRoleCount(CallOutcome.ACCESS_DENIED));
  }

  @Test
  void deniesTheSameRoleNameInAnotherAccount() {
    denied(client, r -> r.roleArn("arn:aws:iam::999999999999:role/kiam-server"));
  }

  @Test
  void requiresTheRolesExternalId() {
    denied(client, r -> r.roleArn(sts.roleArn("billing")));
    denied(client, r -> r.roleArn(sts.roleArn("billing")).externalId("ext-124:a/b"));

    client.assumeRole(
        r -> r.roleArn(sts.roleArn("billing")).roleSessionName("s1").externalId("ext-123:a/b"));

    assertEquals(3, sts.calls().assumeRoleCount("billing"));
    assertEquals(1, sts.calls().assumeRoleCount(CallOutcome.ISSUED));
  }

  @Test
  void admitsOnlyTheRolesAllowedPrincipals() {
    denied(client, r -> r.roleArn(sts.roleArn("restricted")));

    try (StsClient other =
        StsClients.of(
            sts.uri(),
            Region.US_WEST_2,
            AwsBasicCredentials.create("AKIAOTHERUSER0000001", "other-secret"),
            AwsRetryStrategy.doNotRetry())) {
      other.assumeRole(r -> r.roleArn(sts.roleArn("restricted")).roleSessionName("listed-user"));
    }

    Credentials server =
        client.assumeRole(r -> r.roleArn(SERVER_ARN).roleSessionName("server")).credentials();
    try (StsClient asServer = StsClients.issued(sts, server)) {
      asServer.assumeRole(r -> r.roleArn(sts.roleArn("restricted")).roleSessionName("chained"));
    }
    assertEquals(
        List.of(CallOutcome.ACCESS_DENIED, CallOutcome.ISSUED, CallOutcome.ISSUED),
        sts.calls().assumeRoleCalls("restricted").stream().map(AssumeRoleCall::outcome).toList());
  }

  @Test
  void deniesARoleOnDemandUntilCleared() {
    sts.faults().denyRole("kiam-server");
    denied(client, r -> r.roleArn(SERVER_ARN));

    sts.faults().clearRole(SERVER_ARN);
    client.assumeRole(r -> r.roleArn(SERVER_ARN).roleSessionName("after"));
  }

  private static StsException denied(
      StsClient caller, Consumer<AssumeRoleRequest.Builder> request) {
    StsException e =
        assertThrows(
            StsException.class,
            () -> caller.assumeRole(r -> request.accept(r.roleSessionName("denied-session"))));
    assertEquals("AccessDenied", e.awsErrorDetails().errorCode());
    assertEquals(403, e.statusCode());
    return e;
  }
}
