package io.kiam.server.explain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * explain with no ARN flags, against the mock API server: it reads the running kiam-server's own
 * arguments, says where it found them, and gives the true verdict (exit 0 for a permitted pod).
 */
@Timeout(60)
class ExplainFindsServerSettingsTest {
  private static final String BASE = "arn:aws:iam::123456789012:role/";
  private static final StsGatewayFactory NO_STS =
      settings -> {
        throw new AssertionError("STS must not be called without --check-sts");
      };
  private static final BaseArnDetector NO_IMDS =
      () -> {
        throw new AssertionError("the metadata service must not be asked");
      };

  @TempDir Path dir;
  private final ClusterFixture cluster = new ClusterFixture();

  @AfterEach
  void stop() {
    cluster.close();
  }

  private Run explain(String... args) {
    Path kubeconfig = cluster.writeKubeconfig(dir);
    String[] all = new String[args.length + 2];
    all[0] = "--kubeconfig";
    all[1] = kubeconfig.toString();
    System.arraycopy(args, 0, all, 2, args.length);
    return Run.of(new ExplainCommand(NO_STS, NO_IMDS), all);
  }

  private void application() {
    cluster.namespace("my-application", "my-application-.*");
    cluster.pod(
        "my-application",
        "user-checkout-server",
        Map.of("iam.amazonaws.com/role", "my-application-user-checkout-db"),
        "10.0.0.10");
  }

  @Test
  void readsTheChartsServerArgumentsAndExitsZeroForAPermittedPod() {
    application();
    cluster.labelledPod(
        "kube-system",
        "kiam-server-7d9f",
        Map.of("app.kubernetes.io/name", "kiam", "app.kubernetes.io/component", "server"),
        List.of("--bind=0.0.0.0:9610", "--role-base-arn=" + BASE, "--session=prod"));

    Run run = explain("--namespace", "my-application", "--pod", "user-checkout-server");

    assertEquals(ExitCode.ALLOWED.code(), run.exitCode(), run.toString());
    assertTrue(
        run.out()
            .contains(
                "settings:        --role-base-arn="
                    + BASE
                    + " --session=prod from the arguments of kiam-server pod"
                    + " kube-system/kiam-server-7d9f"),
        run.toString());
    assertTrue(
        run.out().contains("ns permits:      yes: 'my-application-.*' matches"), run.toString());
    assertTrue(
        run.out().contains("role resolves:   yes: " + BASE + "my-application-user-checkout-db"),
        run.toString());
    assertTrue(run.out().contains("session name:    kiam-prod"), run.toString());
  }

  @Test
  void readsKiamV4ChartsServerAndItsUnanchoredMatching() {
    cluster.namespace("shop", "shop");
    cluster.pod("shop", "admin", Map.of("iam.amazonaws.com/role", "shop-admin"), "10.0.0.20");
    cluster.labelledPod(
        "kiam",
        "kiam-server-abc",
        Map.of("app", "kiam", "component", "server"),
        List.of(
            "--json-log",
            "--role-base-arn",
            BASE,
            "--disable-strict-namespace-regexp",
            "--sync=1m"));

    Run run = explain("-n", "shop", "--pod", "admin");

    assertEquals(ExitCode.ALLOWED.code(), run.exitCode(), run.toString());
    assertTrue(run.out().contains("--disable-strict-namespace-regexp from"), run.toString());
  }

  @Test
  void withoutAServerPodSaysSoAndSeparatesPermissionFromResolution() {
    application();

    Run run = explain("-n", "my-application", "--pod", "user-checkout-server");

    assertEquals(ExitCode.NO_ROLE.code(), run.exitCode(), run.toString());
    assertTrue(
        run.out().contains("settings:        no running kiam-server pod found"), run.toString());
    assertTrue(
        run.out().contains("ns permits:      yes: 'my-application-.*' matches"), run.toString());
    assertTrue(run.out().contains("role resolves:   no: "), run.toString());
  }

  @Test
  void flagsGivenWinOverTheServersArguments() {
    application();
    cluster.labelledPod(
        "kube-system",
        "kiam-server-x",
        Map.of("app.kubernetes.io/component", "server"),
        List.of("--role-base-arn=arn:aws:iam::999999999999:role/"));

    Run run =
        explain("-n", "my-application", "--pod", "user-checkout-server", "--role-base-arn", BASE);

    assertEquals(ExitCode.ALLOWED.code(), run.exitCode(), run.toString());
    assertTrue(run.out().contains("from the command line"), run.toString());
    assertTrue(run.out().contains(BASE + "my-application-user-checkout-db"), run.toString());
  }

  @Test
  void anAutodetectingServersBaseArnIsReadFromItsLog() {
    application();
    cluster.labelledPod(
        "kube-system",
        "kiam-server-auto",
        Map.of("app.kubernetes.io/component", "server"),
        List.of("--role-base-arn-autodetect", "--session=prod"));
    cluster.podLog(
        "kube-system",
        "kiam-server-auto",
        "server",
        "{\"time\":\"2026-12-02T10:00:00.000Z\",\"level\":\"info\",\"msg\":\""
            + "role base ARN detected from the instance profile: "
            + BASE
            + "\",\"role.base.arn\":\""
            + BASE
            + "\"}\n");

    Run run = explain("-n", "my-application", "--pod", "user-checkout-server");

    assertEquals(ExitCode.ALLOWED.code(), run.exitCode(), run.toString());
    assertTrue(
        run.out()
            .contains(
                "--role-base-arn-autodetect --session=prod from the arguments of kiam-server pod"
                    + " kube-system/kiam-server-auto (container server); the server detected "
                    + BASE
                    + " from its node's instance profile (its log), used here"),
        run.toString());
    assertTrue(
        run.out().contains("role resolves:   yes: " + BASE + "my-application-user-checkout-db"),
        run.toString());
  }

  @Test
  void anAutodetectingServerWhoseLogLacksTheArnIsExplainedWithWhatToPass() {
    application();
    cluster.labelledPod(
        "kube-system",
        "kiam-server-old",
        Map.of("app.kubernetes.io/component", "server"),
        List.of("--role-base-arn-autodetect"));
    cluster.podLog("kube-system", "kiam-server-old", "server", "level=info msg=started\n");

    Run run = explain("-n", "my-application", "--pod", "user-checkout-server");

    assertEquals(ExitCode.NO_ROLE.code(), run.exitCode(), run.toString());
    assertTrue(
        run.out().contains("its log does not have the detected ARN (rotated, or a kiam v4 server)"),
        run.toString());
    assertTrue(
        run.out()
            .contains(
                "Pass --role-base-arn=arn:aws:iam::ACCOUNT:role/ with that profile's partition and"
                    + " account"),
        run.toString());
    assertTrue(run.out().contains("role resolves:   no: "), run.toString());
  }
}
