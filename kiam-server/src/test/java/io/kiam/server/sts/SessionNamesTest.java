package io.kiam.server.sts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class SessionNamesTest {
  /** What STS accepts as a RoleSessionName. */
  private static final Pattern STS_SESSION_NAME = Pattern.compile("[\\w+=,.@-]{2,64}");

  private final SessionNames names = new SessionNames("kiam");

  @Test
  void usesTheDefaultSuffixWhenThePodHasNoAnnotation() {
    assertEquals("kiam-kiam", names.forPod(Optional.empty()));
    assertEquals("kiam-kiam", names.forPod(Optional.of("  ")));
  }

  @Test
  void usesThePodsAnnotationWhenPresent() {
    assertEquals("kiam-checkout@shop.example", names.forPod(Optional.of("checkout@shop.example")));
  }

  @Test
  void replacesCharactersStsRefuses() {
    String name = names.forPod(Optional.of("shop/checkout server:1 ünïcode"));
    assertEquals("kiam-shop-checkout-server-1--n-code", name);
    assertTrue(STS_SESSION_NAME.matcher(name).matches());
  }

  @Test
  void cutsTo64Characters() {
    String name = names.forPod(Optional.of("x".repeat(100)));
    assertEquals(64, name.length());
    assertTrue(name.startsWith("kiam-xxx"));
    assertTrue(STS_SESSION_NAME.matcher(name).matches());
  }

  @Test
  void refusesAnEmptyDefault() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new SessionNames(""));
    assertTrue(e.getMessage().startsWith("--session"), e.getMessage());
  }
}
