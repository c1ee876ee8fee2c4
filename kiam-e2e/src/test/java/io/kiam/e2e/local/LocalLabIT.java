package io.kiam.e2e.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kiam.e2e.metadata.NodeIdentity;
import io.kiam.e2e.net.Commands;
import io.kiam.e2e.net.NodeNetwork;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Drives `./kiam-local` as a person rehearsing failures would: one node for the class, each step
 * asserting its own effect through the script's output, `status --json` and what a pod is served;
 * `down` at the end leaves nothing behind. Runs under a node name of its own, so it never meets the
 * user's local node or a parallel run.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(400)
class LocalLabIT {
  private static final String CREDENTIALS =
      "http://169.254.169.254/latest/meta-data/iam/security-credentials/";
  private static final Duration SETTLE = Duration.ofSeconds(90);

  /** The servers run in the node as the chart places them: roles in the node's account. */
  private static final String ARN = "arn:aws:iam::" + NodeIdentity.ACCOUNT_ID + ":role/";

  private static LocalScript local;
  private static boolean downDone;

  @BeforeAll
  static void up() {
    assumeTrue(Commands.available("ip"), "SKIPPED: the local mode needs iproute2 (`ip`)");
    assumeTrue(
        Commands.run("id", "-u").strip().equals("0"),
        "SKIPPED: the local mode needs root (network namespaces, iptables); run as root");
    assumeTrue(Commands.available("curl"), "SKIPPED: the steps ask from inside pods with curl");
    local =
        LocalScript.claim(
            Path.of(property("kiam.e2e.workDir")),
            property("kiam.e2e.serverJar"),
            property("kiam.e2e.agentJar"));
    LocalScript.Result up =
        local.run(Duration.ofMinutes(5), "up", "--config", writeConfig().toString());
    assertTrue(up.ok(), up::toString);
    assertTrue(up.stdout().contains("up. Pods can get credentials"), up::toString);
  }

  /** The default config plus the keys a user adds: extra daemon flags and a role STS refuses. */
  private static Path writeConfig() {
    try (var in = LocalLabIT.class.getResourceAsStream("/kiam-local.yaml")) {
      String config =
          new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
              + """
              server: {flags: ["--session-duration=30m"]}
              agent: {flags: ["--prometheus-listen-addr=0.0.0.0:9621"]}
              sts: {deny: [lab-never]}
              """;
      Files.createDirectories(local.state().getParent());
      Path file = local.state().getParent().resolve("local-" + local.prefix() + ".yaml");
      Files.writeString(file, config);
      return file;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @AfterAll
  static void down() {
    if (local == null) {
      return;
    }
    try {
      if (!downDone) {
        local.run("down");
      }
    } finally {
      local.close();
    }
  }

  @Test
  @Order(1)
  void upRunsTwoServersUnderOneNameAndTheStatusShowsThem() {
    JsonNode status = local.status();

    JsonNode servers = status.path("servers");
    assertEquals(2, servers.size(), status::toPrettyString);
    Set<String> addresses = new HashSet<>();
    for (JsonNode server : servers) {
      assertEquals("running", server.path("state").asText(), status::toPrettyString);
      assertTrue(server.path("pid").asLong() > 0, status::toPrettyString);
      addresses.add(server.path("address").asText());
    }
    assertEquals(2, addresses.size(), "each server has its own address");
    assertTrue(status.path("agent").path("rssKiB").asLong() > 0, status::toPrettyString);
    assertTrue(status.path("sts").path("calls").asInt() > 0, "up waited for a pod's credentials");
    // the servers called STS with the node's role, from the node's metadata service
    assertEquals(
        List.of(NodeIdentity.CALLER_ARN),
        List.of(status.path("sts").path("callers").path(0).asText()),
        status::toPrettyString);
    assertEquals(1, status.path("sts").path("callers").size(), status::toPrettyString);
    String hosts =
        Commands.run(
            "ip", "netns", "exec", local.prefix() + "-node", "getent", "ahostsv4", "kiam-server");
    for (String address : addresses) {
      assertTrue(
          hosts.contains(address), () -> "kiam-server does not name " + address + ": " + hosts);
    }
  }

  @Test
  @Order(2)
  void aPodAddedAtRunTimeGetsItsRoleAndAnAnnotationChangesIt() {
    LocalScript.Result created = ok("namespace", "annotate", "lab", "--permitted", "lab-.*");
    assertTrue(created.stdout().contains("namespace lab created"), created::toString);
    LocalScript.Result added = ok("pod", "add", "first", "--namespace", "lab", "--role", "lab-a");
    assertTrue(
        added.stdout().contains("network namespace " + local.prefix() + "-first"), added::toString);

    awaitRole("first", "lab-a");
    assertTrue(pod(local.status(), "first").path("ip").asText().startsWith("10.231."));

    ok("pod", "annotate", "first", "--namespace", "lab", "--role", "lab-b");
    awaitRole("first", "lab-b");
    assertEquals("lab-b", pod(local.status(), "first").path("role").asText());
    assertTrue(local.status().path("sts").path("callsByRole").has(ARN + "lab-b"));
  }

  @Test
  @Order(3)
  void aNewPodOnAKeptNamespacesIpGetsItsOwnRole() {
    String ip = pod(local.status(), "first").path("ip").asText();

    ok("pod", "delete", "first", "--namespace", "lab", "--keep-netns");
    JsonNode kept = local.status();
    assertTrue(pod(kept, "first").isMissingNode(), kept::toPrettyString);
    assertEquals(ip, kept.path("keptNetns").path(0).path("ip").asText(), kept::toPrettyString);

    LocalScript.Result added =
        ok("pod", "add", "second", "--namespace", "lab", "--role", "lab-c", "--ip", ip);
    assertTrue(added.stdout().contains("ip " + ip), added::toString);
    awaitRole("second", "lab-c");
    LocalScript.Result old = exec("second", "-w", " %{http_code}", CREDENTIALS + "lab-b");
    assertFalse(old.stdout().contains("AccessKeyId"), () -> "old role served: " + old);
    assertEquals(0, local.status().path("keptNetns").size(), "the new pod took the namespace");
  }

  @Test
  @Order(4)
  void badInputIsRefusedWithOneLineAndChangesNothing() {
    String takenIp = pod(local.status(), "second").path("ip").asText();
    JsonNode before = stable(local.status());
    List<List<String>> bad =
        List.of(
            List.of("pod", "delete", "ghost"),
            List.of("pod", "annotate", "ghost", "--role", "lab-x"),
            List.of("pod", "add", "third", "--namespace", "lab", "--ip", takenIp),
            List.of("pod", "add", "third", "--namespace", "no-such-namespace"),
            List.of("pod", "add", "Bad_Name", "--namespace", "lab"),
            List.of("pod", "add", "third", "--namespace", "lab", "--ip", "300.1.1.1"),
            List.of("namespace", "annotate", "lab", "--permitted", "("),
            List.of("fault", "server", "3", "kill"),
            List.of("fault", "server", "0", "stop"),
            List.of("fault", "sts", "slow", "soon"),
            List.of("fault", "api", "sideways"),
            List.of("fault", "agent", "pause"),
            List.of("pod", "add", "third", "--namespace", "lab", "--colour", "blue"));
    for (List<String> args : bad) {
      LocalScript.Result result = local.run(args.toArray(String[]::new));
      assertNotEquals(0, result.exitCode(), () -> args + " was accepted: " + result);
      assertTrue(
          result.stderr().startsWith("kiam-local: ")
              && result.stderr().strip().lines().count() == 1,
          () -> args + " did not answer with one line: " + result);
    }
    assertEquals(before, stable(local.status()), "a refused command changed the node");
  }

  @Test
  @Order(5)
  void aKilledServerIsRestartedByHealAndPodsKeepTheirCredentials() {
    long pid = local.status().path("servers").path(0).path("pid").asLong();

    ok("fault", "server", "1", "kill");
    JsonNode killed = local.status().path("servers").path(0);
    assertEquals("killed", killed.path("state").asText(), killed::toPrettyString);
    assertTrue(killed.path("pid").isNull(), killed::toPrettyString);
    awaitRole("second", "lab-c");

    ok("fault", "server", "1", "heal");
    JsonNode healed = local.status().path("servers").path(0);
    assertEquals("running", healed.path("state").asText(), healed::toPrettyString);
    assertNotEquals(pid, healed.path("pid").asLong());
  }

  @Test
  @Order(6)
  void aStoppedServerIsResumedAndABlackholedOneLetThroughByHeal() {
    long pid = local.status().path("servers").path(1).path("pid").asLong();
    ok("fault", "server", "2", "stop");
    assertEquals("stopped", local.status().path("servers").path(1).path("state").asText());
    assertEquals("T", processState(pid), "SIGSTOP leaves the process stopped");
    ok("fault", "server", "2", "heal");
    assertEquals("running", local.status().path("servers").path(1).path("state").asText());
    assertNotEquals("T", processState(pid));

    String address = local.status().path("servers").path(1).path("address").asText();
    ok("fault", "server", "2", "blackhole");
    assertEquals("blackholed", local.status().path("servers").path(1).path("state").asText());
    assertTrue(nodeFilterRules().contains("-d " + address + "/32 -j DROP"), this::nodeFilterRules);
    awaitRole("second", "lab-c");
    ok("fault", "server", "2", "heal");
    assertFalse(nodeFilterRules().contains(address), this::nodeFilterRules);
  }

  @Test
  @Order(7)
  void stsFaultsRefuseNewRolesUntilHealed() {
    ok("fault", "sts", "outage");
    ok("pod", "add", "during-outage", "--namespace", "lab", "--role", "lab-outage");
    assertEquals(List.of("outage"), strings(local.status().path("faults").path("sts")));
    awaitAssumeRoleCalls("lab-outage");
    assertNoCredentials("during-outage", "lab-outage");

    ok("fault", "sts", "throttle");
    ok("fault", "sts", "slow", "1500");
    ok("fault", "sts", "deny", "lab-denied");
    assertEquals(
        List.of("throttle", "slow 1500ms", "deny lab-denied"),
        strings(local.status().path("faults").path("sts")));
    ok("fault", "sts", "heal");
    assertEquals(0, local.status().path("faults").path("sts").size());
    awaitRole("during-outage", "lab-outage");

    ok("fault", "sts", "deny", "lab-denied");
    ok("pod", "add", "denied", "--namespace", "lab", "--role", "lab-denied");
    awaitAssumeRoleCalls("lab-denied");
    assertNoCredentials("denied", "lab-denied");
    ok("fault", "sts", "heal");
  }

  @Test
  @Order(8)
  void theConfigsFlagsReachTheDaemonsAndItsDeniedRoleStaysDeniedAfterHeal() {
    String nodeIp = local.status().path("nodeIp").asText();
    String metrics = Commands.run("curl", "-s", "-m", "5", "http://" + nodeIp + ":9621/metrics");
    assertTrue(metrics.contains("kiam_"), "agent.flags did not reach the agent: " + metrics);
    String processes =
        Commands.run("sh", "-c", "ps -eo args | grep -- '-Dkiam.e2e.run=" + local.prefix() + "'");
    assertTrue(processes.contains("--session-duration=30m"), processes);

    ok("pod", "add", "never", "--namespace", "lab", "--role", "lab-never");
    awaitAssumeRoleCalls("lab-never");
    assertNoCredentials("never", "lab-never");
  }

  @Test
  @Order(9)
  void whileTheApiIsDownANewPodIsUnknownAndAfterHealItGetsItsRole() {
    ok("fault", "api", "down");
    assertEquals("down", local.status().path("faults").path("api").asText());
    ok("pod", "add", "unseen", "--namespace", "lab", "--role", "lab-unseen");
    LocalScript.Result during = exec("unseen", "-w", " %{http_code}", CREDENTIALS);
    assertFalse(during.stdout().contains("lab-unseen"), during::toString);

    ok("fault", "api", "heal");
    assertEquals("up", local.status().path("faults").path("api").asText());
    awaitRole("unseen", "lab-unseen");
  }

  @Test
  @Order(10)
  void aKilledAgentLeavesPodsWithoutAnswersUntilRestarted() {
    long pid = local.status().path("agent").path("pid").asLong();
    ok("fault", "agent", "kill");
    assertTrue(local.status().path("agent").path("pid").isNull());
    LocalScript.Result away = exec("second", CREDENTIALS);
    assertFalse(away.stdout().contains("lab-c"), away::toString);

    ok("fault", "agent", "restart");
    long restarted = local.status().path("agent").path("pid").asLong();
    assertTrue(restarted > 0 && restarted != pid);
    awaitRole("second", "lab-c");
  }

  @Test
  @Order(11)
  void podsWithoutANamespaceAndOnTheHostNetworkAreApiObjectsOnly() {
    LocalScript.Result load =
        ok("pod", "add", "load-1", "--namespace", "lab", "--role", "lab-a", "--no-netns");
    assertTrue(load.stdout().contains("none (--no-netns)"), load::toString);
    JsonNode loadPod = pod(local.status(), "load-1");
    assertTrue(loadPod.path("netns").isNull(), loadPod::toPrettyString);
    assertTrue(loadPod.path("ip").asText().startsWith("198.18."), loadPod::toPrettyString);

    ok("pod", "add", "host-1", "--namespace", "lab", "--role", "lab-a", "--host-network");
    JsonNode status = local.status();
    assertEquals(status.path("nodeIp").asText(), pod(status, "host-1").path("ip").asText());

    ok("pod", "delete", "load-1");
    ok("pod", "delete", "host-1", "--namespace", "lab");
    assertTrue(pod(local.status(), "load-1").isMissingNode());
  }

  @Test
  @Order(12)
  void downRemovesEveryNamespaceRuleProcessAndFileAndIsSafeToRepeat() {
    String nodeIp = local.status().path("nodeIp").asText();
    String block = nodeIp.substring(0, nodeIp.lastIndexOf('.') + 1);
    ok("fault", "server", "1", "stop");
    ok("fault", "server", "2", "blackhole");
    ok("pod", "delete", "second", "--keep-netns");

    LocalScript.Result down = local.run("down");
    downDone = true;
    assertTrue(down.ok(), down::toString);

    String prefix = local.prefix();
    assertEquals(List.of(), NodeNetwork.namespacesWithPrefix(prefix + "-"));
    assertFalse(Commands.runQuietly("ip", "link", "show", prefix + "h").ok(), "uplink veth left");
    assertFalse(Commands.run("ip", "-4", "addr").contains(block), "an address of the node left");
    assertFalse(Commands.run("ip", "route").contains(block), "a route of the node left");
    assertFalse(Files.exists(Path.of("/etc/netns", prefix + "-node")), "/etc/netns files left");
    assertFalse(Files.exists(local.state()), "state directory left");
    awaitNoProcess("-Dkiam.e2e.run=" + prefix);
    awaitNoProcess("-Dkiam.e2e.supervisor=" + prefix);

    LocalScript.Result again = local.run("down");
    assertTrue(again.ok(), again::toString);
  }

  // --- helpers -----------------------------------------------------------------------------

  private static LocalScript.Result ok(String... args) {
    LocalScript.Result result = local.run(args);
    assertTrue(result.ok(), () -> String.join(" ", args) + ": " + result);
    return result;
  }

  private static LocalScript.Result exec(String pod, String... curlArgs) {
    String[] args = new String[curlArgs.length + 7];
    System.arraycopy(new String[] {"exec", pod, "--", "curl", "-s", "-m", "3"}, 0, args, 0, 7);
    System.arraycopy(curlArgs, 0, args, 7, curlArgs.length);
    return local.run(args);
  }

  /** Waits until the pod is served the role (listing and credentials). */
  private static void awaitRole(String pod, String role) {
    await(
        "pod " + pod + " is served " + role,
        () -> {
          LocalScript.Result listing = exec(pod, CREDENTIALS);
          if (!listing.stdout().strip().equals(role)) {
            return listing.toString();
          }
          LocalScript.Result credentials = exec(pod, CREDENTIALS + role);
          return credentials.stdout().contains("AccessKeyId") ? null : credentials.toString();
        });
  }

  private static void assertNoCredentials(String pod, String role) {
    LocalScript.Result result = exec(pod, "-w", " %{http_code}", CREDENTIALS + role);
    assertFalse(
        result.stdout().contains("AccessKeyId"), () -> "credentials under a fault: " + result);
  }

  private static void awaitAssumeRoleCalls(String role) {
    await(
        "STS was asked for " + role,
        () -> local.status().path("sts").path("callsByRole").has(ARN + role) ? null : "no call");
  }

  private static void awaitNoProcess(String marker) {
    await(
        "no process carries " + marker,
        () ->
            ProcessHandle.allProcesses()
                    .anyMatch(
                        p ->
                            p.isAlive()
                                && p.info()
                                    .arguments()
                                    .map(a -> List.of(a).contains(marker))
                                    .orElse(false))
                ? "still running"
                : null);
  }

  /** Polls until the check returns null (met); fails with its last answer after SETTLE. */
  private static void await(String what, java.util.function.Supplier<String> check) {
    Instant deadline = Instant.now().plus(SETTLE);
    String last = check.get();
    while (last != null) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError(what + ": not within " + SETTLE.toSeconds() + "s; last: " + last);
      }
      sleep(500);
      last = check.get();
    }
  }

  private static JsonNode pod(JsonNode status, String name) {
    for (JsonNode pod : status.path("pods")) {
      if (pod.path("name").asText().equals(name)) {
        return pod;
      }
    }
    return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
  }

  /** The status without what changes by itself (memory, STS call counts). */
  private static JsonNode stable(JsonNode status) {
    ObjectNode copy = status.deepCopy();
    ((ObjectNode) copy.path("agent")).remove("rssKiB");
    copy.remove("sts");
    return copy;
  }

  private static List<String> strings(JsonNode array) {
    return java.util.stream.StreamSupport.stream(array.spliterator(), false)
        .map(JsonNode::asText)
        .toList();
  }

  private String nodeFilterRules() {
    return Commands.run("ip", "netns", "exec", local.prefix() + "-node", "iptables", "-S");
  }

  private static String processState(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("State:")) {
          return line.substring("State:".length()).strip().substring(0, 1);
        }
      }
    } catch (java.io.IOException e) {
      return "gone";
    }
    return "?";
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String property(String name) {
    String value = System.getProperty(name);
    if (value == null) {
      throw new IllegalStateException(
          "system property " + name + " is not set: run the e2e tests through `mvn verify`");
    }
    return value;
  }
}
