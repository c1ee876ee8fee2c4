package io.kiam.agent.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HostInterfaceTest {
  @Test
  void prefixesAndNamesMatchWithDashI() {
    assertEquals(List.of("-i", "cali+"), HostInterface.parse("cali+").match());
    assertEquals(List.of("-i", "eni+"), HostInterface.parse("eni+").match());
    assertEquals(List.of("-i", "eth0"), HostInterface.parse("eth0").match());
  }

  @Test
  void aLeadingBangNegates() {
    HostInterface notUplink = HostInterface.parse("!eth0");
    assertTrue(notUplink.negated());
    assertEquals(List.of("!", "-i", "eth0"), notUplink.match());
    assertEquals("!eth0", notUplink.toString());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"", "!", "!!eth0", "eth 0", "ca/li", "ca+li", "+", "interface-name-16", "eth0;rm"})
  void refusesWhatIsNotAnInterfaceName(String bad) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> HostInterface.parse(bad));
    assertTrue(e.getMessage().startsWith("--host-interface:"), e.getMessage());
  }
}
