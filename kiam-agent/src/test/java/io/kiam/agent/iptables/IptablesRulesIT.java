package io.kiam.agent.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The rules applied by the real iptables inside two network namespaces this test creates: a "node"
 * (the agent's side, interface cali0, 192.0.2.1) and a "pod" (eth0, 192.0.2.2) joined by a veth.
 * Nothing runs in the machine's own namespace but ip(8) creating and deleting them.
 */
@Timeout(30)
class IptablesRulesIT {
  private static final String NODE_IP = "192.0.2.1";
  private static final String POD_IP = "192.0.2.2";
  private static final int AGENT_PORT = 8181;
  private static final String ID =
      Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24));
  private static final String NODE = "kiamt-" + ID + "-n";
  private static final String POD = "kiamt-" + ID + "-p";
  private static final List<String> created = new ArrayList<>();

  private static ProcessRunner inNode;
  private static ProcessRunner inPod;

  /** Why the tests cannot run here, or null; each test reports it as its skip reason. */
  private static String missing;

  @BeforeAll
  static void namespaces() throws Exception {
    missing = missingPrerequisite();
    if (missing != null) {
      return;
    }
    ProcessRunner host = new ProcessRunner();
    for (String ns : List.of(NODE, POD)) {
      ok(host, "ip", "netns", "add", ns);
      created.add(ns);
    }
    ok(
        host, "ip", "link", "add", "cali0", "netns", NODE, "type", "veth", "peer", "name", "eth0",
        "netns", POD);
    inNode = new ProcessRunner(List.of("ip", "netns", "exec", NODE));
    inPod = new ProcessRunner(List.of("ip", "netns", "exec", POD));
    ok(inNode, "ip", "addr", "add", NODE_IP + "/30", "dev", "cali0");
    ok(inPod, "ip", "addr", "add", POD_IP + "/30", "dev", "eth0");
    for (ProcessRunner ns : List.of(inNode, inPod)) {
      ok(ns, "ip", "link", "set", "lo", "up");
    }
    ok(inNode, "ip", "link", "set", "cali0", "up");
    ok(inPod, "ip", "link", "set", "eth0", "up");
    // The pod's only way out is the node, as with Calico's point-to-point routes.
    ok(inPod, "ip", "route", "add", "default", "via", NODE_IP);
  }

  @BeforeEach
  void requirePrerequisites() {
    assumeTrue(missing == null, missing);
  }

  private static String missingPrerequisite() throws Exception {
    if (!runs("ip", "-V")) {
      return "skipped: ip (iproute2) is not installed";
    }
    if (!runs("iptables", "-V")) {
      return "skipped: iptables is not installed";
    }
    CommandResult id = new ProcessRunner().run(List.of("id", "-u"), Duration.ofSeconds(10));
    if (!"0".equals(id.stdout().strip())) {
      return "skipped: creating network namespaces needs root (CI runs as root)";
    }
    return null;
  }

  @AfterAll
  static void deleteNamespaces() throws Exception {
    ProcessRunner host = new ProcessRunner();
    for (String ns : created) {
      host.run(List.of("ip", "netns", "delete", ns), Duration.ofSeconds(10));
    }
  }

  @AfterEach
  void flushNat() throws Exception {
    if (inNode != null) {
      for (String binary : List.of("iptables", "iptables-legacy")) {
        if (runs(binary, "-V")) {
          inNode.run(
              List.of(binary, "-w", "5", "-t", "nat", "-F", "PREROUTING"), Duration.ofSeconds(10));
        }
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"iptables", "iptables-nft", "iptables-legacy"})
  void installsFindsAndRemovesTheRule(String binary) throws Exception {
    assumeTrue(runs(binary, "-V"), "skipped: " + binary + " is not installed");
    IptablesRules rules = rules(binary, "cali+");
    rules.checkUsable();
    assertFalse(rules.isInstalled());

    rules.install();
    assertTrue(rules.isInstalled());
    assertEquals(
        List.of(
            "-A PREROUTING -d 169.254.169.254/32 -i cali+ -p tcp -m tcp --dport 80 -j DNAT"
                + " --to-destination 192.0.2.1:8181"),
        metadataRules(binary));

    rules.remove();
    assertFalse(rules.isInstalled());
    assertEquals(List.of(), metadataRules(binary));
  }

  @Test
  void installingTwiceLeavesOneRulePerInterfaceIncludingANegation() throws Exception {
    IptablesRules rules = rules("iptables", "cali+", "!eth0");
    rules.install();
    rules.install();

    List<String> listed = metadataRules("iptables");
    assertEquals(2, listed.size(), listed.toString());
    assertTrue(listed.get(1).contains(" ! -i eth0 "), listed.get(1));
    rules.remove();
    assertEquals(List.of(), metadataRules("iptables"));
  }

  @Test
  void aPodsMetadataConnectionReachesTheAgentWithItsOwnSourceAddress() throws Exception {
    rules("iptables", "cali+").install();
    Process echo = startEchoInNode();
    try {
      CommandResult answer =
          inPod.run(
              List.of(
                  "timeout",
                  "5",
                  "bash",
                  "-c",
                  "exec 3<>/dev/tcp/169.254.169.254/80 && head -1 <&3"),
              Duration.ofSeconds(10));
      assertEquals(0, answer.exitCode(), answer.stderr());
      // The agent tells pods apart by the TCP source, so DNAT must leave it alone.
      assertEquals("kiam-dnat-ok from " + POD_IP, answer.stdout().strip());
    } finally {
      echo.destroyForcibly();
    }
  }

  @Test
  void withoutNetAdminTheStartCheckSaysSo() throws Exception {
    assumeTrue(runs("setpriv", "--version"), "skipped: setpriv (util-linux) is not installed");
    ProcessRunner nobody =
        new ProcessRunner(
            List.of(
                "ip",
                "netns",
                "exec",
                NODE,
                "setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "--inh-caps=-all"));
    IptablesRules rules =
        new IptablesRules(
            List.of(HostInterface.parse("cali+")),
            InetAddress.getByName(NODE_IP),
            AGENT_PORT,
            nobody);
    IptablesException e =
        org.junit.jupiter.api.Assertions.assertThrows(IptablesException.class, rules::checkUsable);
    assertTrue(e.getMessage().contains("needs the NET_ADMIN capability"), e.getMessage());
  }

  private static IptablesRules rules(String binary, String... interfaces) throws Exception {
    List<HostInterface> parsed = new ArrayList<>();
    for (String i : interfaces) {
      parsed.add(HostInterface.parse(i));
    }
    return new IptablesRules(parsed, InetAddress.getByName(NODE_IP), AGENT_PORT, inNode, binary);
  }

  /** The nat table's rules for the metadata address, as {@code iptables -S} prints them. */
  private static List<String> metadataRules(String binary) throws Exception {
    CommandResult listing =
        inNode.run(
            List.of(binary, "-w", "5", "-t", "nat", "-S", "PREROUTING"), Duration.ofSeconds(10));
    assertEquals(0, listing.exitCode(), listing.stderr());
    return listing.stdout().lines().filter(l -> l.contains("169.254.169.254")).toList();
  }

  private static Process startEchoInNode() throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    Path classes =
        Path.of(DnatEcho.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    Process process =
        new ProcessBuilder(
                "ip",
                "netns",
                "exec",
                NODE,
                java,
                "-Xshare:auto",
                "-XX:TieredStopAtLevel=1",
                "-Xmx32m",
                "-cp",
                classes.toString(),
                DnatEcho.class.getName(),
                NODE_IP,
                String.valueOf(AGENT_PORT))
            .redirectErrorStream(true)
            .start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    String first = CompletableFuture.supplyAsync(() -> readLine(out)).get(15, TimeUnit.SECONDS);
    assertEquals("listening", first);
    return process;
  }

  private static String readLine(BufferedReader reader) {
    try {
      return reader.readLine();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static boolean runs(String... command) {
    try {
      return new ProcessRunner().run(List.of(command), Duration.ofSeconds(10)).exitCode() == 0;
    } catch (Exception e) {
      return false;
    }
  }

  private static void ok(ProcessRunner runner, String... command) throws Exception {
    CommandResult result = runner.run(List.of(command), Duration.ofSeconds(10));
    assertEquals(0, result.exitCode(), String.join(" ", command) + ": " + result.stderr());
  }
}
