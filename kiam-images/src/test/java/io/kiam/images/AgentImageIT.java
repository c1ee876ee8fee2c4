package io.kiam.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kiam.e2e.cluster.PodSpec;
import io.kiam.e2e.net.Commands;
import io.kiam.e2e.net.RunNames;
import io.kiam.e2e.node.DaemonImages;
import io.kiam.e2e.node.KiamNode;
import io.kiam.e2e.node.NodeOptions;
import io.kiam.e2e.node.NodePod;
import io.kiam.e2e.node.TestkitSts;
import io.kiam.e2e.probe.HttpResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The kiam-agent image as a cluster runs it: under podman, in a test-made node's network namespace
 * (never the machine's own), root with only NET_ADMIN and NET_RAW on a read-only root filesystem.
 * It installs its DNAT rule with the node's iptables back end (nft on a fresh node, legacy on a
 * node whose kubelet uses legacy) and answers a pod behind the node with the pod's role, asking a
 * real kiam-server JVM on the machine's side over mutual TLS, which asks the stand-in STS.
 */
@Timeout(600)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgentImageIT {
  private static final Path MODULE = Path.of("").toAbsolutePath();
  private static final Path REPO = MODULE.getParent();
  private static final Path IMAGES = MODULE.resolve("target/images");
  private static final String METADATA = "169.254.169.254";
  private static final String CREDENTIALS = "/latest/meta-data/iam/security-credentials/";
  private static final String ROLE = "images-reader";
  private static final Duration SETTLE = Duration.ofSeconds(60);

  private static Podman podman;
  private static String agentImage;
  private static KiamNode node;
  private static NodePod pod;
  private static String nodeNs;

  @BeforeAll
  static void startNode() throws Exception {
    assumeTrue(Podman.available(), "podman is not installed: the image tests need it");
    assumeTrue(Commands.available("ip"), "the node needs iproute2 (`ip`)");
    assumeTrue(
        Commands.run("id", "-u").strip().equals("0"),
        "the node needs root (network namespaces, iptables)");
    podman = new Podman(REPO);
    agentImage = Files.readString(IMAGES.resolve("kiam-agent.id")).trim();
    podman.check("load", "--quiet", "--input", IMAGES.resolve("kiam-agent.tar").toString());
    RunNames names = RunNames.random();
    nodeNs = names.nodeNamespace();
    NodeOptions options =
        new NodeOptions(
                names,
                null,
                MODULE.resolve("target/e2e-runs").resolve(names.prefix()),
                Path.of(System.getProperty("java.home"), "bin", "java"),
                REPO.resolve("kiam-server/target/kiam-server.jar"),
                REPO.resolve("kiam-agent/target/kiam-agent.jar"),
                REPO.resolve("kiam-e2e/target/kiam-e2e-all.jar"),
                host -> TestkitSts.start(host, List.of(ROLE)))
            .withImages(
                new DaemonImages(null, agentImage, REPO.resolve("deploy/images/containers.conf")));
    node = KiamNode.start(options); // closes what it began when it fails
    node.putNamespace("images", "images-.*");
    pod = node.addPod(PodSpec.of("images", "reader", ROLE));
  }

  @AfterAll
  static void removeNode() throws Exception {
    if (node != null) {
      RunNames names = node.network().names();
      node.close();
      Podman.Result left =
          podman.check(
              "ps", "--all", "--quiet", "--filter", "label=io.kiam.e2e.run=" + names.prefix());
      assertEquals("", left.stdout().strip(), "containers left behind");
    }
    if (agentImage != null) {
      podman.run("rmi", agentImage); // not --force: a kiam-local up --images may be using it
    }
  }

  @Test
  @Order(1)
  void agentInTheNodesNamespaceWithOnlyNetAdminAndNetRawAnswersThePodWithItsRole()
      throws Exception {
    awaitRole();
    JsonNode container = container();
    assertEquals(
        new TreeSet<>(List.of("CAP_NET_ADMIN", "CAP_NET_RAW")),
        strings(container.path("EffectiveCaps")),
        container.path("EffectiveCaps").toString());
    assertTrue(container.path("HostConfig").path("ReadonlyRootfs").asBoolean());
    // the container's network namespace is the node's, not the machine's
    long pid = container.path("State").path("Pid").asLong();
    assertEquals(
        Commands.run("stat", "-L", "-c", "%i", "/var/run/netns/" + nodeNs).strip(),
        Commands.run("stat", "-L", "-c", "%i", "/proc/" + pid + "/ns/net").strip());
    // a fresh node has no rules in either back end: the wrapper takes nft, as iptables 1.8 does
    assertTrue(metadataRules("nft").size() == 1, () -> "nft: " + metadataRules("nft"));
    assertTrue(metadataRules("legacy").isEmpty(), () -> "legacy: " + metadataRules("legacy"));
    assertNoRuleInTheMachinesNamespace();
  }

  @Test
  @Order(2)
  void agentFollowsANodeWhoseKubeletUsesLegacyIptables() throws Exception {
    node.stopAgent(); // keeps its rule, as on a node; remove it so only the new one answers
    for (String rule : metadataRules("nft")) {
      List<String> delete = new ArrayList<>(List.of("ip", "netns", "exec", nodeNs));
      delete.addAll(List.of("iptables-nft", "-w", "-t", "nat"));
      delete.addAll(List.of(rule.replaceFirst("^-A ", "-D ").split(" ")));
      Commands.run(delete.toArray(String[]::new));
    }
    // what kubelet leaves on a legacy node: its canary chain in the legacy mangle table
    Commands.run(
        "ip",
        "netns",
        "exec",
        nodeNs,
        "iptables-legacy",
        "-w",
        "-t",
        "mangle",
        "-N",
        "KUBE-KUBELET-CANARY");
    node.startAgent();
    node.awaitAgent();
    awaitRole();
    assertTrue(metadataRules("legacy").size() == 1, () -> "legacy: " + metadataRules("legacy"));
    assertTrue(metadataRules("nft").isEmpty(), () -> "nft: " + metadataRules("nft"));
    assertNoRuleInTheMachinesNamespace();
  }

  /** Waits (bounded) until the agent lists the pod's role and hands out its credentials. */
  private static void awaitRole() {
    Instant deadline = Instant.now().plus(SETTLE);
    List<HttpResult> last = List.of();
    while (Instant.now().isBefore(deadline)) {
      last =
          node.probes()
              .http(pod.netns(), METADATA, 80, List.of("--token", CREDENTIALS, CREDENTIALS + ROLE));
      if (last.get(1).ok()
          && last.get(1).text().strip().equals(ROLE)
          && last.get(2).ok()
          && last.get(2).text().contains("\"AccessKeyId\"")) {
        return;
      }
      sleep(300);
    }
    fail("the pod never got " + ROLE + " within " + SETTLE + ": " + last);
  }

  /** The node's nat rules for the metadata address in one back end (nft or legacy). */
  private static List<String> metadataRules(String backEnd) {
    String save =
        Commands.run("ip", "netns", "exec", nodeNs, "iptables-" + backEnd + "-save", "-t", "nat");
    return save.lines().filter(line -> line.contains(METADATA + "/32")).toList();
  }

  /** The agent's rules name this run's pod interfaces; none may be in the machine's namespace. */
  private static void assertNoRuleInTheMachinesNamespace() throws Exception {
    String interfaces = node.network().names().podInterfacePrefix() + "+";
    String nft = Commands.runQuietly("iptables-nft-save", "-t", "nat").stdout();
    assertFalse(nft.contains(interfaces), "nft rules of the machine: " + nft);
    // legacy: only read when the machine has a legacy nat table (reading would create one)
    Path legacyTables = Path.of("/proc/net/ip_tables_names");
    if (Files.exists(legacyTables) && Files.readString(legacyTables).contains("nat")) {
      String legacy = Commands.runQuietly("iptables-legacy-save", "-t", "nat").stdout();
      assertFalse(legacy.contains(interfaces), "legacy rules of the machine: " + legacy);
    }
  }

  private static JsonNode container() throws Exception {
    String name = node.network().names().prefix() + "-kiam-agent";
    return new ObjectMapper().readTree(podman.check("container", "inspect", name).stdout()).get(0);
  }

  private static TreeSet<String> strings(JsonNode array) {
    TreeSet<String> values = new TreeSet<>();
    array.forEach(value -> values.add(value.asText()));
    return values;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
