package io.kiam.chart;

import static io.kiam.chart.KiamChart.AGENT;
import static io.kiam.chart.KiamChart.REPO_ROOT;
import static io.kiam.chart.KiamChart.SERVER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

/**
 * The images kiam-images builds (its pom's Jib configuration) against what the chart runs: the same
 * user, the image's entrypoint with the chart's flags as arguments, and every port the chart uses
 * declared by the image. kiam-images' ImagesIT runs the built images themselves.
 */
class ImageContractTest {
  private static final Rendered DEFAULTS = KiamChart.render("");

  @Test
  void serverImageRunsAsTheNonRootUserTheChartNames() throws Exception {
    PodSpec pod = DEFAULTS.one(Deployment.class, SERVER).getSpec().getTemplate().getSpec();
    long uid = pod.getSecurityContext().getRunAsUser();
    assertTrue(uid > 0, "the chart runs the server as non-root");
    assertEquals(uid + ":" + uid, jib("server-image", "container/user"));
  }

  @Test
  void agentImageRunsAsRootAsTheChartExpects() throws Exception {
    assertEquals(0L, container(AGENT).getSecurityContext().getRunAsUser());
    assertEquals("0:0", jib("agent-image", "container/user"));
  }

  @Test
  void theChartRunsEachImagesEntrypointWithFlagsAsArgs() throws Exception {
    for (String daemon : List.of(SERVER, AGENT)) {
      Container container = container(daemon);
      // no command: the image's entrypoint (java -jar) runs, the chart's flags follow as args
      assertTrue(container.getCommand().isEmpty(), daemon);
      assertTrue(
          container.getArgs().stream().allMatch(a -> a.startsWith("--")),
          container.getArgs()::toString);
      String execution = execution(daemon);
      assertEquals(
          "java,-jar,/opt/kiam/" + daemon + ".jar", jib(execution, "container/entrypoint"));
      // the jar put there is the runnable one the module's build writes
      assertEquals(
          daemon + ".jar",
          jib(execution, "extraDirectories/paths/path[into='/opt/kiam']/includes"));
      assertEquals(
          "${project.build.directory}/" + daemon + ".jar",
          xpath(
              REPO_ROOT.resolve(daemon).resolve("pom.xml").toString(),
              "//plugin[artifactId='maven-shade-plugin']//outputFile"));
    }
  }

  @Test
  void everyPortTheChartUsesIsDeclaredByTheImage() throws Exception {
    for (String daemon : List.of(SERVER, AGENT)) {
      List<String> declared = jibList(execution(daemon), "container/ports/port");
      for (ContainerPort port : container(daemon).getPorts()) {
        assertTrue(
            declared.contains(Integer.toString(port.getContainerPort())),
            daemon + " port " + port.getName() + " " + port.getContainerPort() + " in " + declared);
      }
    }
  }

  private static String execution(String daemon) {
    return daemon.substring("kiam-".length()) + "-image";
  }

  private static Container container(String daemon) {
    PodSpec pod =
        daemon.equals(SERVER)
            ? DEFAULTS.one(Deployment.class, SERVER).getSpec().getTemplate().getSpec()
            : DEFAULTS.one(DaemonSet.class, AGENT).getSpec().getTemplate().getSpec();
    return pod.getContainers().get(0);
  }

  private static String jib(String execution, String path) throws Exception {
    return xpath(imagesPom(), jibPath(execution, path));
  }

  private static List<String> jibList(String execution, String path) throws Exception {
    NodeList nodes =
        (NodeList)
            XPathFactory.newInstance()
                .newXPath()
                .evaluate(jibPath(execution, path), parse(imagesPom()), XPathConstants.NODESET);
    List<String> values = new ArrayList<>();
    for (int i = 0; i < nodes.getLength(); i++) {
      values.add(nodes.item(i).getTextContent().strip());
    }
    return values;
  }

  private static String jibPath(String execution, String path) {
    return "//plugin[artifactId='jib-maven-plugin']//execution[id='"
        + execution
        + "']/configuration/"
        + path;
  }

  private static String imagesPom() {
    return REPO_ROOT.resolve("kiam-images/pom.xml").toString();
  }

  private static String xpath(String pom, String expression) throws Exception {
    String value = XPathFactory.newInstance().newXPath().evaluate(expression, parse(pom)).strip();
    assertTrue(!value.isEmpty(), pom + " has " + expression);
    return value;
  }

  private static Document parse(String pom) throws Exception {
    return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom);
  }
}
