package io.kiam.chart;

import static io.kiam.chart.KiamChart.AGENT;
import static io.kiam.chart.KiamChart.REPO_ROOT;
import static io.kiam.chart.KiamChart.SERVER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

/**
 * The two Dockerfiles against what the build produces and what the chart runs. Nothing here builds
 * an image (no Docker engine on this machine): base images, package installs and the image's
 * runtime behaviour are not exercised.
 */
class DockerfilesTest {
  private static final Path DOCKER = REPO_ROOT.resolve("deploy/docker");
  private static final Rendered DEFAULTS = KiamChart.render("");

  private static final Dockerfile SERVER_IMAGE =
      Dockerfile.read(DOCKER.resolve("server.Dockerfile"));
  private static final Dockerfile AGENT_IMAGE = Dockerfile.read(DOCKER.resolve("agent.Dockerfile"));

  @Test
  void serverImageBuildsWithMavenAndRunsOnTheJre() throws Exception {
    assertMultiStage(SERVER_IMAGE, "kiam-server");
  }

  @Test
  void agentImageBuildsWithMavenAndRunsOnTheJre() throws Exception {
    assertMultiStage(AGENT_IMAGE, "kiam-agent");
  }

  @Test
  void serverImageRunsAsTheNonRootUserTheChartNames() {
    String user = SERVER_IMAGE.runtime().last("USER");
    assertNotNull(user, "the server image sets a user");
    long uid = Long.parseLong(user.split(":")[0]);
    assertTrue(uid > 0, user);
    PodSpec pod = DEFAULTS.one(Deployment.class, SERVER).getSpec().getTemplate().getSpec();
    assertEquals(uid, pod.getSecurityContext().getRunAsUser());
  }

  @Test
  void agentImageCarriesIptablesAndRunsAsRootAsTheChartExpects() {
    assertTrue(
        AGENT_IMAGE.runtime().all("RUN").stream()
            .anyMatch(
                run ->
                    run.contains("apt-get install")
                        && List.of(run.split("\\s+")).contains("iptables")),
        "the runtime stage installs iptables");
    Container agent =
        DEFAULTS
            .one(DaemonSet.class, AGENT)
            .getSpec()
            .getTemplate()
            .getSpec()
            .getContainers()
            .get(0);
    assertEquals(0L, agent.getSecurityContext().getRunAsUser());
    assertEquals("0:0", AGENT_IMAGE.runtime().last("USER"));
  }

  @Test
  void theChartRunsEachImagesEntrypointWithFlagsAsArgs() {
    Container server =
        DEFAULTS
            .one(Deployment.class, SERVER)
            .getSpec()
            .getTemplate()
            .getSpec()
            .getContainers()
            .get(0);
    Container agent =
        DEFAULTS
            .one(DaemonSet.class, AGENT)
            .getSpec()
            .getTemplate()
            .getSpec()
            .getContainers()
            .get(0);
    // no command: the image's ENTRYPOINT (java -jar) runs, the chart's flags follow as args
    assertTrue(server.getCommand().isEmpty());
    assertTrue(agent.getCommand().isEmpty());
    assertTrue(
        server.getArgs().stream().allMatch(a -> a.startsWith("--")), server.getArgs()::toString);
    assertTrue(
        agent.getArgs().stream().allMatch(a -> a.startsWith("--")), agent.getArgs()::toString);
    // the ports the chart uses are the ones the images document
    assertTrue(List.of(SERVER_IMAGE.runtime().last("EXPOSE").split("\\s+")).contains("9610"));
    assertTrue(List.of(SERVER_IMAGE.runtime().last("EXPOSE").split("\\s+")).contains("9611"));
    assertTrue(List.of(AGENT_IMAGE.runtime().last("EXPOSE").split("\\s+")).contains("8181"));
  }

  @Test
  void agentImageDefaultsToTheSmallFootprintJvmFlags() {
    String env = AGENT_IMAGE.runtime().last("ENV");
    for (String flag :
        List.of(
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-Xss256k",
            "-XX:MaxDirectMemorySize=32m")) {
      assertTrue(env.contains(flag), () -> flag + " in " + env);
    }
  }

  @Test
  void buildContextLeavesOutBuildOutputAndGitData() throws Exception {
    for (String image : List.of("server", "agent")) {
      List<String> ignored =
          Files.readAllLines(DOCKER.resolve(image + ".Dockerfile.dockerignore")).stream()
              .map(String::strip)
              .toList();
      assertTrue(ignored.contains("**/target/"), image);
      assertTrue(ignored.contains(".git/"), image);
    }
  }

  private static void assertMultiStage(Dockerfile file, String module) throws Exception {
    assertEquals(2, file.stages().size(), file.path() + " stages");
    Dockerfile.Stage build = file.stages().get(0);
    assertEquals("maven:3-eclipse-temurin-17 AS build", build.from());
    assertEquals("eclipse-temurin:17-jre", file.runtime().from());

    String mvn = build.last("RUN");
    List<String> words = List.of(mvn.split("\\s+"));
    assertTrue(words.contains("mvn") && words.contains("package"), mvn);
    assertEquals(module, words.get(words.indexOf("-pl") + 1), mvn);
    assertTrue(words.contains("-am"), "builds the modules " + module + " needs: " + mvn);

    // the jar copied out of the build stage is the one the module's pom produces
    String workdir = build.last("WORKDIR");
    String produced = workdir + "/" + module + "/" + runnableJar(module);
    String copy = file.runtime().last("COPY");
    List<String> copyWords = List.of(copy.split("\\s+"));
    assertEquals(List.of("--from=build", produced, "/opt/kiam/" + module + ".jar"), copyWords);

    assertEquals(List.of("java", "-jar", "/opt/kiam/" + module + ".jar"), entrypoint(file));
    assertEquals(
        "io.kiam." + module.substring("kiam-".length()) + "." + capitalized(module) + "Main",
        mainClass(module));
  }

  private static List<String> entrypoint(Dockerfile file) {
    String json = file.runtime().last("ENTRYPOINT");
    assertTrue(json.startsWith("["), "exec form, so SIGTERM reaches the JVM: " + json);
    return new KubernetesSerialization().unmarshal(json, List.class);
  }

  /** The shaded (runnable) jar the module's build writes, relative to the module. */
  private static String runnableJar(String module) throws Exception {
    String outputFile =
        optionalXpath(module, "//plugin[artifactId='maven-shade-plugin']//outputFile");
    if (!outputFile.isEmpty()) {
      return outputFile.replace("${project.build.directory}", "target");
    }
    // without outputFile the shade plugin replaces the main artifact: target/<finalName>.jar
    return "target/" + xpath(module, "/project/build/finalName") + ".jar";
  }

  private static String mainClass(String module) throws Exception {
    return xpath(module, "//transformer/mainClass");
  }

  private static String xpath(String module, String expression) throws Exception {
    String value = optionalXpath(module, expression);
    assertTrue(!value.isEmpty(), module + "/pom.xml has " + expression);
    return value;
  }

  private static String optionalXpath(String module, String expression) throws Exception {
    Document pom =
        DocumentBuilderFactory.newInstance()
            .newDocumentBuilder()
            .parse(REPO_ROOT.resolve(module).resolve("pom.xml").toFile());
    return XPathFactory.newInstance().newXPath().evaluate(expression, pom).strip();
  }

  private static String capitalized(String module) {
    String name = module.substring("kiam-".length());
    return Character.toUpperCase(name.charAt(0)) + name.substring(1);
  }
}
