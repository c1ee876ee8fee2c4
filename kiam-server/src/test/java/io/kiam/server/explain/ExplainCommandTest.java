package io.kiam.server.explain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** explain against fabric8's mock API server in CRUD mode, policy only (no STS). */
@Timeout(30)
class ExplainCommandTest {
  private static final String BASE = "arn:aws:iam::123456789012:role/";
  private static final StsGatewayFactory NO_STS =
      settings -> {
        throw new AssertionError("STS must not be called without --check-sts");
      };
  private static final BaseArnDetector NO_IMDS =
      () -> {
        throw new AssertionError("the metadata service must not be asked");
      };

  @TempDir static Path dir;
  private static ClusterFixture cluster;
  private static Path kubeconfig;

  @BeforeAll
  static void cluster() {
    cluster = new ClusterFixture();
    cluster.namespace("my-application", "my-application-.*");
    cluster.namespace("shop", "shop");
    cluster.namespace("closed", null);
    cluster.pod(
        "my-application",
        "user-checkout-server",
        Map.of("iam.amazonaws.com/role", "my-application-user-checkout-db"),
        "10.0.0.10");
    cluster.pod(
        "my-application", "wants-admin", Map.of("iam.amazonaws.com/role", "admin"), "10.0.0.11");
    cluster.pod("my-application", "no-role", Map.of(), "10.0.0.12");
    cluster.pod("shop", "shop-admin", Map.of("iam.amazonaws.com/role", "shop-admin"), "10.0.0.13");
    cluster.pod("closed", "anything", Map.of("iam.amazonaws.com/role", "closed-app"), "10.0.0.14");
    cluster.pod(
        "my-application",
        "on-host-network",
        Map.of("iam.amazonaws.com/role", "my-application-agent"),
        "192.168.1.5",
        true);
    cluster.pod(
        "my-application",
        "named-session",
        Map.of(
            "iam.amazonaws.com/role", "my-application-reports",
            "iam.amazonaws.com/session-name", "reports job/1",
            "iam.amazonaws.com/external-id", "ext-secret-42"),
        "10.0.0.15");
    kubeconfig = cluster.writeKubeconfig(dir);
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  private static Run explain(String... args) {
    String[] all = new String[args.length + 2];
    all[0] = "--kubeconfig";
    all[1] = kubeconfig.toString();
    System.arraycopy(args, 0, all, 2, args.length);
    return Run.of(new ExplainCommand(NO_STS, NO_IMDS), all);
  }

  @Test
  void allowedPodExitsZeroWithRoleArnAndSessionName() {
    Run run =
        explain(
            "--namespace",
            "my-application",
            "--pod",
            "user-checkout-server",
            "--role-base-arn",
            BASE);
    assertEquals(ExitCode.ALLOWED.code(), run.exitCode(), run.toString());
    assertTrue(run.out().contains("decision:        allowed"), run.toString());
    assertTrue(
        run.out().contains("role ARN:        " + BASE + "my-application-user-checkout-db"),
        run.toString());
    assertTrue(run.out().contains("session name:    kiam-kiam"), run.toString());
    assertTrue(
        run.out().contains("namespace 'my-application' permits roles matching"), run.toString());
    assertTrue(run.out().contains("10.0.0.10"), run.toString());
  }

  @Test
  void refusedPodExitsForbiddenWithTheNamespacesReason() {
    Run run = explain("-n", "my-application", "--pod", "wants-admin", "--role-base-arn", BASE);
    assertEquals(ExitCode.FORBIDDEN.code(), run.exitCode(), run.toString());
    assertTrue(run.out().contains("decision:        forbidden"), run.toString());
    assertTrue(
        run.out()
            .contains(
                "namespace 'my-application' permits roles matching 'my-application-.*';"
                    + " pod asks for 'admin'"),
        run.toString());
    assertFalse(run.out().contains("role ARN:"), run.toString());
  }

  @Test
  void expressionIsAnchoredSoShopDoesNotPermitShopAdmin() {
    Run run = explain("-n", "shop", "--pod", "shop-admin", "--role-base-arn", BASE);
    assertEquals(ExitCode.FORBIDDEN.code(), run.exitCode(), run.toString());
  }

  @Test
  void namespaceWithoutAnnotationPermitsNothing() {
    Run run = explain("-n", "closed", "--pod", "anything", "--role-base-arn", BASE);
    assertEquals(ExitCode.FORBIDDEN.code(), run.exitCode(), run.toString());
    assertTrue(run.out().contains("has no iam.amazonaws.com/permitted annotation"), run.toString());
  }

  @Test
  void podWithoutRoleExitsNoRole() {
    Run run = explain("-n", "my-application", "--pod", "no-role", "--role-base-arn", BASE);
    assertEquals(ExitCode.NO_ROLE.code(), run.exitCode(), run.toString());
    assertTrue(run.out().contains("decision:        no_role"), run.toString());
    assertTrue(run.out().contains("role annotation: (none)"), run.toString());
  }

  @Test
  void missingPodExitsNotFound() {
    Run run = explain("-n", "my-application", "--pod", "nobody", "--role-base-arn", BASE);
    assertEquals(ExitCode.POD_NOT_FOUND.code(), run.exitCode(), run.toString());
    assertTrue(run.out().contains("pod my-application/nobody not found"), run.toString());
  }

  @Test
  void hostNetworkPodIsAllowedByPolicyButNeverServed() {
    Run run = explain("-n", "my-application", "--pod", "on-host-network", "--role-base-arn", BASE);
    assertEquals(ExitCode.NOT_SERVED.code(), run.exitCode(), run.toString());
    assertTrue(run.out().contains("decision:        allowed"), run.toString());
    assertTrue(run.out().contains("not served:      the pod uses hostNetwork"), run.toString());
  }

  @Test
  void sessionNameIsSanitisedAndExternalIdNeverPrinted() {
    Run run = explain("-n", "my-application", "--pod", "named-session", "--role-base-arn", BASE);
    assertEquals(ExitCode.ALLOWED.code(), run.exitCode(), run.toString());
    assertTrue(run.out().contains("session name:    kiam-reports-job-1"), run.toString());
    assertTrue(run.out().contains("external id:     **** (set)"), run.toString());
    assertFalse(run.out().contains("ext-secret-42"), run.toString());
  }

  @Test
  void withoutBaseArnARoleNameSaysWhichFlagResolvesIt() {
    Run run = explain("-n", "my-application", "--pod", "user-checkout-server");
    assertEquals(ExitCode.NO_ROLE.code(), run.exitCode(), run.toString());
    assertTrue(run.out().contains("--role-base-arn"), run.toString());
  }

  @Test
  void autodetectUsesTheServersDetector() {
    Run run =
        Run.of(
            new ExplainCommand(NO_STS, () -> "arn:aws:iam::210987654321:role/"),
            "--kubeconfig",
            kubeconfig.toString(),
            "-n",
            "my-application",
            "--pod",
            "user-checkout-server",
            "--role-base-arn-autodetect");
    assertEquals(ExitCode.ALLOWED.code(), run.exitCode(), run.toString());
    assertTrue(
        run.out().contains("arn:aws:iam::210987654321:role/my-application-user-checkout-db"),
        run.toString());
  }

  @Test
  void contradictoryOrMisplacedFlagsAreUsageErrors() {
    Run both =
        explain(
            "-n",
            "my-application",
            "--pod",
            "no-role",
            "--role-base-arn",
            BASE,
            "--role-base-arn-autodetect");
    assertEquals(ExitCode.USAGE.code(), both.exitCode(), both.toString());
    assertTrue(both.err().contains("exclude each other"), both.toString());

    Run endpointWithoutCheck =
        explain(
            "-n",
            "my-application",
            "--pod",
            "no-role",
            "--sts-endpoint",
            "https://sts.eu-west-1.amazonaws.com");
    assertEquals(
        ExitCode.USAGE.code(), endpointWithoutCheck.exitCode(), endpointWithoutCheck.toString());
    assertTrue(endpointWithoutCheck.err().contains("only apply with --check-sts"));

    Run missing = Run.of(new ExplainCommand(NO_STS, NO_IMDS), "--pod", "x");
    assertEquals(ExitCode.USAGE.code(), missing.exitCode(), missing.toString());

    Run badBase =
        explain("-n", "my-application", "--pod", "no-role", "--role-base-arn", "arn:aws:s3:::b");
    assertEquals(ExitCode.USAGE.code(), badBase.exitCode(), badBase.toString());
    assertTrue(badBase.err().contains("--role-base-arn"), badBase.toString());
  }

  @Test
  void unreachableApiServerExitsErrorQuicklyWithTheCause() throws Exception {
    int closedPort;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    Path dead =
        java.nio.file.Files.writeString(
            dir.resolve("dead-kubeconfig"),
            java.nio.file.Files.readString(kubeconfig)
                .replaceAll("server: http://[^\\s]+", "server: http://127.0.0.1:" + closedPort));
    long start = System.nanoTime();
    Run run =
        Run.of(
            new ExplainCommand(NO_STS, NO_IMDS),
            "--kubeconfig",
            dead.toString(),
            "-n",
            "my-application",
            "--pod",
            "user-checkout-server",
            "--role-base-arn",
            BASE);
    long seconds = java.util.concurrent.TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
    assertEquals(ExitCode.ERROR.code(), run.exitCode(), run.toString());
    assertTrue(run.err().contains("explain: cannot read pod my-application/user-checkout-server"));
    assertTrue(run.err().contains("Connect"), "the cause should be named: " + run);
    assertTrue(seconds < 10, "took " + seconds + "s: explain must not retry like a daemon");
  }

  @Test
  void helpListsEveryExitCode() {
    Run run = Run.of(new ExplainCommand(NO_STS, NO_IMDS), "--help");
    assertEquals(0, run.exitCode(), run.toString());
    String help = run.out().replaceAll("\\s+", " ");
    for (ExitCode code : ExitCode.values()) {
      assertTrue(
          help.contains(code.code() + " " + code.meaning()), code + " missing from\n" + run.out());
    }
  }
}
