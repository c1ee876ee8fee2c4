package io.kiam.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs the images kiam-images built (target/images/*.tar) under podman: they start, the server runs
 * as a non-root user on a read-only root filesystem without a shell, and both carry the chart's JVM
 * flags, the OCI labels and their Debian package list. Each image is loaded by its ID and removed
 * after.
 */
@Timeout(600)
class ImagesIT {
  private static final Path MODULE = Path.of("").toAbsolutePath();
  private static final Path REPO = MODULE.getParent();
  private static final Path IMAGES = MODULE.resolve("target/images");
  private static final ObjectMapper JSON = new ObjectMapper();

  private static Podman podman;
  private static String server;
  private static String agent;

  @BeforeAll
  static void loadImages() throws Exception {
    assumeTrue(
        Podman.available(),
        "podman is not installed: the image tests need it (.ci/run installs it)");
    podman = new Podman(REPO);
    server = load("kiam-server");
    agent = load("kiam-agent");
  }

  @AfterAll
  static void removeImages() throws Exception {
    for (String image : new String[] {server, agent}) {
      if (image != null) {
        podman.run("rmi", image); // not --force: a kiam-local up --images may be using it
      }
    }
  }

  /** Loads an OCI archive and returns its image ID, the one Jib recorded beside it. */
  private static String load(String name) throws Exception {
    String id = Files.readString(IMAGES.resolve(name + ".id")).trim();
    podman.check("load", "--quiet", "--input", IMAGES.resolve(name + ".tar").toString());
    podman.check("image", "exists", id);
    return id;
  }

  @Test
  void serverPrintsItsHelp() throws Exception {
    Podman.Result result =
        podman.check(
            "run", "--rm", "--network=none", "--read-only", "--cap-drop=ALL", server, "--help");
    assertTrue(result.output().contains("--role-base-arn"), result.output());
  }

  @Test
  void agentPrintsItsHelp() throws Exception {
    Podman.Result result =
        podman.check("run", "--rm", "--network=none", "--read-only", agent, "--help");
    assertTrue(result.output().contains("--host-interface"), result.output());
  }

  @Test
  void serverRunsAsNonRootOnReadOnlyRootWithTheChartsJvmFlags() throws Exception {
    Podman.Result result =
        podman.check(
            "run",
            "--rm",
            "--network=none",
            "--read-only",
            "--cap-drop=ALL",
            "--security-opt=no-new-privileges",
            "--entrypoint=java",
            server,
            "-XshowSettings:properties",
            "-version");
    assertTrue(result.output().contains("user.name = kiam"), result.output());
    assertTrue(
        result
            .output()
            .contains("Picked up JAVA_TOOL_OPTIONS: " + chartValue("server", "jvmOptions")),
        result.output());
    assertEquals("65532:65532", config(server).path("User").asText());
  }

  @Test
  void serverImageHasNoShell() throws Exception {
    Podman.Result result =
        podman.run("run", "--rm", "--network=none", "--entrypoint=/bin/sh", server, "-c", "true");
    assertNotEquals(0, result.exitCode(), result.output());
  }

  @Test
  void imagesCarryTheChartsJvmFlagsAndOciLabels() throws Exception {
    Map<String, String> serverEnv = env(server);
    Map<String, String> agentEnv = env(agent);
    assertEquals(chartValue("server", "jvmOptions"), serverEnv.get("JAVA_TOOL_OPTIONS"));
    assertEquals(chartValue("agent", "jvmOptions"), agentEnv.get("JAVA_TOOL_OPTIONS"));
    assertEquals(chartValue("agent", "mallocArenaMax"), agentEnv.get("MALLOC_ARENA_MAX"));
    for (String image : new String[] {server, agent}) {
      JsonNode labels = config(image).path("Labels");
      assertTrue(
          labels.path("org.opencontainers.image.source").asText().startsWith("https://"),
          labels.toString());
      assertTrue(
          labels.path("org.opencontainers.image.revision").asText().matches("[0-9a-f]{40}|unknown"),
          labels.toString());
      assertEquals(projectVersion(), labels.path("org.opencontainers.image.version").asText());
    }
  }

  @Test
  void agentCarriesBothIptablesBackEndsBehindTheWrapper() throws Exception {
    podman.check(
        "run",
        "--rm",
        "--network=none",
        "--entrypoint=ls",
        agent,
        "/usr/sbin/iptables-nft",
        "/usr/sbin/iptables-legacy",
        "/usr/local/sbin/iptables");
    String packages = readFromImage(agent, "/usr/share/kiam/packages.tsv");
    assertTrue(packages.contains("\niptables\t"), packages);
    assertTrue(packages.contains("openjdk-17-jre-headless\t"), packages);
  }

  @Test
  void imagesCarryTheirSbom() throws Exception {
    String sbom = readFromImage(agent, "/usr/share/kiam/kiam-images.cdx.json");
    assertEquals("CycloneDX", JSON.readTree(sbom).path("bomFormat").asText());
  }

  /**
   * A file of the image, read from the image mounted (podman image mount), not by running cat in a
   * container: podman here sometimes loses the output of a container that exits at once.
   */
  private static String readFromImage(String image, String path) throws Exception {
    String root = podman.check("image", "mount", image).stdout().strip();
    try {
      return Files.readString(Path.of(root, path));
    } finally {
      podman.run("image", "unmount", image);
    }
  }

  private static JsonNode config(String image) throws Exception {
    return JSON.readTree(podman.check("image", "inspect", image).stdout()).get(0).path("Config");
  }

  private static Map<String, String> env(String image) throws Exception {
    Map<String, String> env = new HashMap<>();
    for (JsonNode entry : config(image).path("Env")) {
      String[] pair = entry.asText().split("=", 2);
      env.put(pair[0], pair[1]);
    }
    return env;
  }

  private static String chartValue(String section, String key) throws IOException {
    JsonNode values =
        new YAMLMapper().readTree(REPO.resolve("deploy/helm/kiam/values.yaml").toFile());
    return values.path(section).path(key).asText();
  }

  private static String projectVersion() {
    return System.getProperty("kiam.project.version", "0.1.0-SNAPSHOT");
  }
}
