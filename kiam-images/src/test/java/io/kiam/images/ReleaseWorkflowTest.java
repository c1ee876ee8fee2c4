package io.kiam.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The release workflow cannot run here; this checks that it parses and has the structure the
 * release relies on: tests on every push, images for both architectures, keyless signing, SBOMs,
 * the chart.
 */
class ReleaseWorkflowTest {
  private static final Path WORKFLOW =
      Path.of("").toAbsolutePath().getParent().resolve(".github/workflows/release.yml");

  private final JsonNode workflow = read();

  private static JsonNode read() {
    try {
      return new YAMLMapper().readTree(WORKFLOW.toFile());
    } catch (java.io.IOException e) {
      throw new AssertionError("release.yml does not parse", e);
    }
  }

  @Test
  void testsEveryPushAndReleasesOnVersionTags() {
    // YAML 1.1 reads the key "on" as true.
    JsonNode on = workflow.has("on") ? workflow.get("on") : workflow.get("true");
    assertEquals("**", on.path("push").path("branches").get(0).asText());
    assertEquals("v*.*.*", on.path("push").path("tags").get(0).asText());
    assertTrue(job("test").path("if").isMissingNode(), "tests run on every push");
    assertTrue(job("test").path("steps").toString().contains(".ci/run"));
  }

  @Test
  void buildsBothArchitecturesOnlyForTagsAfterTheTests() {
    JsonNode images = job("images");
    assertEquals("test", images.path("needs").asText());
    assertTrue(images.path("if").asText().contains("refs/tags/v"));
    assertEquals(
        List.of("amd64", "arm64"), texts(images.path("strategy").path("matrix").path("arch")));
    assertTrue(run(images).contains("-pl kiam-images"));
    assertTrue(run(images).contains("-Dkiam.image.registry=\"$REGISTRY\""));
  }

  @Test
  void publishesToTheOneRegistryVariableSignsKeylesslyAndPushesTheChart() {
    assertTrue(workflow.path("env").path("REGISTRY").asText().contains("vars.KIAM_REGISTRY"));
    JsonNode publish = job("publish");
    assertEquals("[\"images\",\"reproducible-bases\"]", publish.path("needs").toString());
    assertEquals(
        "write",
        publish.path("permissions").path("id-token").asText(),
        "keyless signing needs OIDC");
    assertEquals("write", publish.path("permissions").path("packages").asText());
    assertTrue(uses(publish).contains("sigstore/cosign-installer@v3"), uses(publish).toString());
    String run = run(publish);
    assertTrue(run.contains("podman manifest add"), run);
    assertTrue(run.contains("cosign sign --yes"), run);
    assertTrue(run.contains("cosign attest --yes --type cyclonedx"), run);
    assertTrue(run.contains("--app-version \"$version\""), run);
    assertTrue(run.contains("helm push") && run.contains("oci://$REGISTRY/charts"), run);
    // Signing uses the digest pushed, never a tag that could move.
    assertTrue(run.contains("$REGISTRY/$image@$(cat"), run);
  }

  @Test
  void checksTheBasesAreReproducibleBeforePublishingAndByHand() {
    assertTrue(workflow.path("on").has("workflow_dispatch"));
    JsonNode check = job("reproducible-bases");
    assertTrue(check.path("if").asText().contains("refs/tags/v"));
    assertTrue(check.path("if").asText().contains("workflow_dispatch"));
    assertTrue(run(check).contains("deploy/images/check-reproducible.sh"), run(check));
    assertTrue(
        java.nio.file.Files.isExecutable(
            WORKFLOW
                .getParent()
                .getParent()
                .getParent()
                .resolve("deploy/images/check-reproducible.sh")));
  }

  @Test
  void everyStepEitherUsesAnActionOrRunsAScript() {
    workflow
        .path("jobs")
        .forEach(
            job ->
                job.path("steps")
                    .forEach(
                        step ->
                            assertTrue(
                                step.has("uses") ^ step.has("run"),
                                "step needs uses or run: " + step)));
  }

  private JsonNode job(String name) {
    JsonNode job = workflow.path("jobs").path(name);
    assertTrue(job.isObject(), "job " + name + " missing");
    return job;
  }

  private static String run(JsonNode job) {
    StringBuilder all = new StringBuilder();
    job.path("steps").forEach(step -> all.append(step.path("run").asText()).append('\n'));
    return all.toString();
  }

  private static List<String> uses(JsonNode job) {
    List<String> uses = new ArrayList<>();
    job.path("steps").forEach(step -> uses.add(step.path("uses").asText()));
    return uses;
  }

  private static List<String> texts(JsonNode array) {
    List<String> texts = new ArrayList<>();
    array.forEach(node -> texts.add(node.asText()));
    return texts;
  }
}
