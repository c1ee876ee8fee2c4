package io.kiam.server.explain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiam.testkit.sts.IssuedCredentials;
import io.kiam.testkit.sts.RoleSpec;
import io.kiam.testkit.sts.StsEndpoint;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * explain --check-sts through the server's real SDK gateway against the testkit STS endpoint, which
 * checks SigV4 signatures, trust (allowed principals) and external ids.
 */
@Timeout(60)
class ExplainStsCheckTest {
  private static final String BASE = "arn:aws:iam::123456789012:role/";
  private static final BaseArnDetector NO_IMDS =
      () -> {
        throw new AssertionError("the metadata service must not be asked");
      };

  @TempDir static Path dir;
  private static ClusterFixture cluster;
  private static StsEndpoint sts;
  private static Path kubeconfig;

  @BeforeAll
  static void start() {
    sts =
        StsEndpoint.builder()
            .role("my-application-user-checkout-db")
            .role(RoleSpec.of("my-application-reports").requiringExternalId("ext-secret-42"))
            .role(
                RoleSpec.of("my-application-locked")
                    .allowingOnly("arn:aws:iam::123456789012:role/someone-else"))
            .start();
    cluster = new ClusterFixture();
    cluster.namespace("my-application", "my-application-.*");
    cluster.pod(
        "my-application",
        "user-checkout-server",
        Map.of("iam.amazonaws.com/role", "my-application-user-checkout-db"),
        "10.0.0.10");
    cluster.pod(
        "my-application",
        "reports",
        Map.of(
            "iam.amazonaws.com/role", "my-application-reports",
            "iam.amazonaws.com/external-id", "ext-secret-42"),
        "10.0.0.11");
    cluster.pod(
        "my-application",
        "locked",
        Map.of("iam.amazonaws.com/role", "my-application-locked"),
        "10.0.0.12");
    cluster.pod(
        "my-application", "wants-admin", Map.of("iam.amazonaws.com/role", "admin"), "10.0.0.13");
    kubeconfig = cluster.writeKubeconfig(dir);
  }

  @AfterAll
  static void stop() {
    cluster.close();
    sts.close();
  }

  private static Run check(String pod, String endpoint) {
    StsGatewayFactory gateways =
        StsGatewayFactory.withIdentity(
            () ->
                StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(
                        StsEndpoint.DEFAULT_ACCESS_KEY_ID, StsEndpoint.DEFAULT_SECRET_ACCESS_KEY)));
    return Run.of(
        new ExplainCommand(gateways, NO_IMDS),
        "--kubeconfig",
        kubeconfig.toString(),
        "-n",
        "my-application",
        "--pod",
        pod,
        "--role-base-arn",
        BASE,
        "--check-sts",
        "--region",
        "eu-west-1",
        "--sts-endpoint",
        endpoint);
  }

  @Test
  void issuedCredentialsShowAccessKeyAndExpiryButNeverSecretOrToken() {
    Run run = check("user-checkout-server", sts.uri().toString());
    assertEquals(ExitCode.ALLOWED.code(), run.exitCode(), run.toString());
    Matcher key =
        Pattern.compile("sts:\\s+ok: access key (\\S+), account 123456789012, expires ")
            .matcher(run.out());
    assertTrue(key.find(), run.toString());
    IssuedCredentials issued = sts.issuedCredentials(key.group(1)).orElseThrow();
    assertEquals(BASE + "my-application-user-checkout-db", issued.roleArn());
    assertTrue(
        run.out().contains(issued.expiration().truncatedTo(ChronoUnit.SECONDS).toString()),
        run.toString());
    assertFalse(run.out().contains(issued.secretAccessKey()), "secret printed");
    assertFalse(run.out().contains(issued.sessionToken()), "token printed");
    assertFalse(run.err().contains(issued.secretAccessKey()), "secret printed");
    assertEquals(1, sts.calls().assumeRoleCount("my-application-user-checkout-db"));
  }

  @Test
  void externalIdIsSentButNotShown() {
    Run run = check("reports", sts.uri().toString());
    assertEquals(ExitCode.ALLOWED.code(), run.exitCode(), run.toString());
    assertFalse(run.out().contains("ext-secret-42"), run.toString());
  }

  @Test
  void trustPolicyRefusalExitsStsRefusedWithStsMessage() {
    Run run = check("locked", sts.uri().toString());
    assertEquals(ExitCode.STS_REFUSED.code(), run.exitCode(), run.toString());
    assertTrue(run.out().contains("sts:             failed (AccessDenied)"), run.toString());
    assertTrue(run.out().contains("my-application-locked"), run.toString());
  }

  @Test
  void refusedByPolicyNeverCallsSts() {
    int before = sts.calls().assumeRoleCount();
    Run run = check("wants-admin", sts.uri().toString());
    assertEquals(ExitCode.FORBIDDEN.code(), run.exitCode(), run.toString());
    assertEquals(before, sts.calls().assumeRoleCount());
    assertFalse(run.out().contains("sts:"), run.toString());
  }

  @Test
  void unreachableStsExitsStsUnavailable() throws IOException {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    Run run = check("user-checkout-server", "http://127.0.0.1:" + closedPort);
    assertEquals(ExitCode.STS_UNAVAILABLE.code(), run.exitCode(), run.toString());
    assertTrue(run.out().contains("sts:             failed ("), run.toString());
  }
}
