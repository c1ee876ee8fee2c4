package io.kiam.testkit.sts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;

/** Runs the packaged jar as its own process, as the local mode does, and talks to it. */
@Timeout(60)
class StsEndpointJarIT {
  private static final Path JAR = Path.of("target", "kiam-testkit.jar");

  @Test
  void packagedJarServesStsAndStopsOnSigterm() throws Exception {
    assertTrue(Files.isRegularFile(JAR), JAR.toAbsolutePath() + " is built by 'package'");
    Process process =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                JAR.toString(),
                "--bind",
                "127.0.0.1",
                "--port",
                "0",
                "--role",
                "app:ext-42")
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    try (BufferedReader stdout =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String url =
          CompletableFuture.supplyAsync(
                  () -> {
                    try {
                      return stdout.readLine();
                    } catch (java.io.IOException e) {
                      throw new java.io.UncheckedIOException(e);
                    }
                  })
              .get(45, TimeUnit.SECONDS);
      assertTrue(url != null && url.matches("http://127\\.0\\.0\\.1:\\d+/"), "first line: " + url);

      try (StsClient client =
          StsClients.of(
              URI.create(url),
              Region.US_EAST_1,
              AwsBasicCredentials.create(
                  StsEndpoint.DEFAULT_ACCESS_KEY_ID, StsEndpoint.DEFAULT_SECRET_ACCESS_KEY),
              AwsRetryStrategy.doNotRetry())) {
        String arn =
            client
                .assumeRole(
                    r ->
                        r.roleArn("arn:aws:iam::123456789012:role/app")
                            .roleSessionName("jar")
                            .externalId("ext-42"))
                .assumedRoleUser()
                .arn();
        assertEquals("arn:aws:sts::123456789012:assumed-role/app/jar", arn);
      }
      assertEquals(null, stdout.ready() ? stdout.readLine() : null, "stdout carries the URL only");
    } finally {
      process.destroy(); // SIGTERM: the shutdown hook closes the endpoint
      assertTrue(process.waitFor(20, TimeUnit.SECONDS), "the endpoint did not stop on SIGTERM");
    }
    assertEquals(143, process.exitValue());
  }
}
