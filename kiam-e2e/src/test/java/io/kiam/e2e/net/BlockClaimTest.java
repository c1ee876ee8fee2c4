package io.kiam.e2e.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BlockClaimTest {
  @Test
  void overlapsComparesNetworksNotStrings() {
    assertTrue(BlockClaim.overlaps("10.0.0.0/8", "10.231.7.0/24"));
    assertTrue(BlockClaim.overlaps("10.231.7.130", "10.231.7.0/24"));
    assertFalse(BlockClaim.overlaps("10.231.70.0/24", "10.231.7.0/24"));
    assertFalse(BlockClaim.overlaps("192.0.2.0/24", "10.231.7.0/24"));
    assertFalse(BlockClaim.overlaps("default", "10.231.7.0/24"));
  }

  @Test
  void runNamesFitLinuxInterfaceNamesAndRejectOthers() {
    RunNames names = RunNames.random();
    assertTrue(names.podVethNodeSide(999).length() <= 15, names.podVethNodeSide(999));
    assertTrue(RunNames.isTestRunPrefix(names.prefix()));
    assertFalse(RunNames.isTestRunPrefix(RunNames.LOCAL_PREFIX));
    assertThrows(IllegalArgumentException.class, () -> new RunNames("averylongprefix"));
    assertEquals("10.231.3.129", new AddressPlan(3).podAddress(0));
    assertThrows(IllegalArgumentException.class, () -> new AddressPlan(3).podAddress(126));
  }
}
