package io.kiam.e2e.metadata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The agent's IMDSv1 check (its real jar, {@code kiam-agent check-imds}) against the metadata
 * stand-in on loopback, set up as a hardened node (IMDSv2 required) and as an open one. The agent
 * runs the same probe at start and every --imds-check-interval.
 */
@Timeout(120)
class ImdsV1CheckIT {

  private static int checkImds(MetadataStandIn standIn, StringBuilder output)
      throws IOException, InterruptedException {
    String agentJar = System.getProperty("kiam.e2e.agentJar");
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process process =
        new ProcessBuilder(
                List.of(
                    java.toString(),
                    "-Xmx64m",
                    "-XX:TieredStopAtLevel=1",
                    "-jar",
                    agentJar,
                    "check-imds",
                    "--metadata-endpoint",
                    "http://127.0.0.1:" + standIn.port(),
                    "--timeout",
                    "10s"))
            .redirectErrorStream(true)
            .start();
    try {
      output.append(new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
      assertTrue(process.waitFor(60, TimeUnit.SECONDS), "check-imds did not finish");
      return process.exitValue();
    } finally {
      process.destroyForcibly();
    }
  }

  @Test
  void hardenedNodeRefusesTokenlessRequestsAndTheCheckSaysSo() throws Exception {
    try (MetadataStandIn standIn =
        MetadataStandIn.start(
            new InetSocketAddress("127.0.0.1", 0), MetadataStandIn.Mode.HARDENED)) {
      // the stand-in itself: 401 without a token, the node's answer with one
      HttpClient http = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();
      URI instanceId =
          URI.create("http://127.0.0.1:" + standIn.port() + "/latest/meta-data/iam/info");
      assertEquals(
          401,
          http.send(
                  HttpRequest.newBuilder(instanceId).build(), HttpResponse.BodyHandlers.ofString())
              .statusCode());

      StringBuilder output = new StringBuilder();
      assertEquals(0, checkImds(standIn, output), output::toString);
      assertTrue(output.toString().contains("IMDSv2 required"), output::toString);
    }
  }

  @Test
  void openNodeAnswersImdsv1AndTheCheckFails() throws Exception {
    try (MetadataStandIn standIn =
        MetadataStandIn.start(new InetSocketAddress("127.0.0.1", 0), MetadataStandIn.Mode.OPEN)) {
      StringBuilder output = new StringBuilder();
      assertEquals(1, checkImds(standIn, output), output::toString);
      assertTrue(output.toString().contains("IMDSv1 open"), output::toString);
    }
  }
}
