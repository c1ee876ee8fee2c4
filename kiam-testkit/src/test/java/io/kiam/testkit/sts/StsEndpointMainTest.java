package io.kiam.testkit.sts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.model.Credentials;
import software.amazon.awssdk.services.sts.model.StsException;

@Timeout(30)
class StsEndpointMainTest {
  private static final String KEY = "AKIALOCALMODE0000001";
  private static final String SECRET = "local-mode-secret-000000000000000000000";

  @TempDir Path dir;

  @Test
  void startsFromFlagsAndPrintsOnlyItsUrl() {
    StringWriter out = new StringWriter();
    StsEndpointMain.Launch launch =
        launch(
            out,
            new StringWriter(),
            "--port",
            "0",
            "--account",
            "111122223333",
            "--access-key-id",
            KEY,
            "--secret-access-key",
            SECRET,
            "--caller-arn",
            "arn:aws:iam::111122223333:role/kiam-server",
            "--role",
            "app",
            "--role",
            "arn:aws:iam::444455556666:role/team/db:ext:with:colons");
    try (StsEndpoint sts = launch.endpoint();
        StsClient client = client(URI.create(out.toString().strip()))) {
      assertEquals(0, launch.exitCode());
      assertEquals(sts.uri() + System.lineSeparator(), out.toString());

      assertEquals("arn:aws:iam::111122223333:role/kiam-server", client.getCallerIdentity().arn());
      client.assumeRole(
          r -> r.roleArn("arn:aws:iam::111122223333:role/app").roleSessionName("cli"));
      client.assumeRole(
          r ->
              r.roleArn("arn:aws:iam::444455556666:role/team/db")
                  .roleSessionName("cli")
                  .externalId("ext:with:colons"));
      StsException e =
          assertThrows(
              StsException.class,
              () ->
                  client.assumeRole(
                      r ->
                          r.roleArn("arn:aws:iam::444455556666:role/team/db")
                              .roleSessionName("cli")));
      assertEquals("AccessDenied", e.awsErrorDetails().errorCode());
    }
  }

  @Test
  void readsRolesFromAFile() throws Exception {
    Path roles = dir.resolve("roles.txt");
    Files.writeString(
        roles,
        """
        # roles for the local mode
        app
        billing externalId=ext-123 maxSessionDuration=43200   # twelve hours
        locked principal=arn:aws:iam::123456789012:role/not-us
        """);
    StringWriter out = new StringWriter();
    StsEndpointMain.Launch launch =
        launch(
            out,
            new StringWriter(),
            "--access-key-id",
            KEY,
            "--secret-access-key",
            SECRET,
            "--roles-file",
            roles.toString());
    try (StsEndpoint sts = launch.endpoint();
        StsClient client = client(sts.uri())) {
      Instant before = Instant.now();
      Credentials c =
          client
              .assumeRole(
                  r ->
                      r.roleArn(sts.roleArn("billing"))
                          .roleSessionName("file")
                          .externalId("ext-123")
                          .durationSeconds(43200))
              .credentials();
      assertTrue(Duration.between(before, c.expiration()).toHours() >= 11);
      client.assumeRole(r -> r.roleArn(sts.roleArn("app")).roleSessionName("file"));
      assertThrows(
          StsException.class,
          () -> client.assumeRole(r -> r.roleArn(sts.roleArn("locked")).roleSessionName("file")));
    }
  }

  @Test
  void refusesBadFlagsWithOneLineAndExitCodeTwo() throws Exception {
    Path badRoles = dir.resolve("bad-roles.txt");
    Files.writeString(badRoles, "app\nbilling colour=blue\n");
    String[][] badArgs = {
      {"--port", "eighty"},
      {"--no-such-flag"},
      {"--account", "12"},
      {"--role", "bad name!"},
      {"--role", "app:"},
      {"--roles-file", badRoles.toString()},
      {"--roles-file", dir.resolve("missing.txt").toString()},
      {"--caller-arn", "kiam-server"},
    };
    for (String[] args : badArgs) {
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();

      StsEndpointMain.Launch launch = launch(out, err, args);

      String joined = String.join(" ", args);
      assertEquals(2, launch.exitCode(), joined + ": " + err);
      assertNull(launch.endpoint(), joined);
      assertEquals("", out.toString(), joined);
      String message = err.toString().strip();
      assertTrue(message.startsWith("kiam-sts-endpoint: "), joined + ": " + message);
      assertEquals(1, message.lines().count(), joined + ": " + message);
    }
  }

  @Test
  void printsUsageOnHelp() {
    StringWriter out = new StringWriter();

    StsEndpointMain.Launch launch = launch(out, new StringWriter(), "--help");

    assertEquals(0, launch.exitCode());
    assertNull(launch.endpoint());
    assertTrue(out.toString().contains("--roles-file"), out.toString());
  }

  private static StsEndpointMain.Launch launch(StringWriter out, StringWriter err, String... args) {
    return StsEndpointMain.launch(args, new PrintWriter(out), new PrintWriter(err));
  }

  private static StsClient client(URI endpoint) {
    return StsClients.of(
        endpoint,
        Region.EU_WEST_1,
        AwsBasicCredentials.create(KEY, SECRET),
        AwsRetryStrategy.doNotRetry());
  }
}
