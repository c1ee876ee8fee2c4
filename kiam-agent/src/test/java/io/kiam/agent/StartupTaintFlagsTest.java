package io.kiam.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiam.agent.node.StartupTaintConfig;
import io.kiam.common.cli.KiamCli;
import java.net.URI;
import org.junit.jupiter.api.Test;

class StartupTaintFlagsTest {
  private static StartupTaintFlags parse(String... args) {
    StartupTaintFlags flags = new StartupTaintFlags();
    KiamCli.commandLine("flags", flags).parseArgs(args);
    return flags;
  }

  @Test
  void offUnlessAKeyIsGiven() {
    assertTrue(parse("--kube-api-url=https://10.0.0.1:443").config().isEmpty());
  }

  @Test
  void bracketsABareIpv6ServiceHost() {
    StartupTaintConfig config =
        parse(
                "--remove-startup-taint=" + StartupTaintConfig.DEFAULT_KEY,
                "--kube-api-url=https://fd00:10:96::1:443")
            .config()
            .orElseThrow();
    assertEquals(URI.create("https://[fd00:10:96::1]:443"), config.apiServer());
  }

  @Test
  void refusesAKeyKubernetesWouldRefuse() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                parse("--remove-startup-taint=not a key", "--kube-api-url=https://10.0.0.1:443")
                    .config());
    assertTrue(e.getMessage().contains("--remove-startup-taint"), e.getMessage());
  }
}
