package io.kiam.server.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class IpAddressesTest {
  @Test
  void keepsIpv4AsWritten() {
    assertEquals("10.1.2.3", IpAddresses.canonical("10.1.2.3"));
  }

  @Test
  void canonicalisesIpv6() {
    assertEquals(IpAddresses.canonical("fd00:0:0:0:0:0:0:1"), IpAddresses.canonical("fd00::1"));
  }

  @Test
  void rejectsNamesWithoutLookingThemUp() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> IpAddresses.canonical("localhost"));
    assertEquals("'localhost' is not an IP address", e.getMessage());
    assertFalse(IpAddresses.isValid("10.0.0.256"));
    assertFalse(IpAddresses.isValid("1.2.3"));
    assertFalse(IpAddresses.isValid(""));
    assertFalse(IpAddresses.isValid("fe80::1%eth0"));
  }
}
