package io.kiam.e2e.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class LocalConfigTest {
  private static LocalConfig parse(String yaml) {
    return LocalConfig.read(
        new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "test.yaml");
  }

  @Test
  void defaultConfigIsTheKiamExample() throws Exception {
    LocalConfig config;
    try (InputStream in = LocalConfig.class.getResourceAsStream("/kiam-local.yaml")) {
      config = LocalConfig.read(in, "default");
    }
    var checkout =
        config.pods().stream()
            .filter(p -> p.name().equals("user-checkout-server"))
            .findFirst()
            .orElseThrow();
    assertEquals("my-application", checkout.namespace());
    assertEquals("my-application-user-checkout-db", checkout.role());
    assertTrue(config.permits(checkout));
    assertEquals(
        1, config.pods().stream().filter(config::permits).count(), "only one pod is allowed");
    assertTrue(config.pods().stream().anyMatch(p -> "admin".equals(p.role())));
    assertTrue(config.pods().stream().anyMatch(p -> p.role() == null));
    assertTrue(config.namespaces().stream().anyMatch(n -> n.permitted() == null));
  }

  @Test
  void permittedRegexIsAnchoredToTheWholeRoleName() {
    LocalConfig config =
        parse(
            """
            namespaces: [{name: shop, permitted: "shop"}]
            pods:
              - {name: a, namespace: shop, role: shop-admin}
              - {name: b, namespace: shop, role: shop}
            """);
    assertFalse(config.permits(config.pods().get(0)));
    assertTrue(config.permits(config.pods().get(1)));
  }

  @Test
  void rejectsAPodInAnUnlistedNamespaceWithOneClearMessage() {
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> parse("namespaces: [{name: a}]\npods: [{name: p, namespace: b, role: r}]\n"));
    assertEquals(
        "test.yaml: pod 'p': namespace 'b' is not listed under namespaces", e.getMessage());
  }

  @Test
  void rejectsDuplicatePodNamesBadRegexesAndUnknownKeys() {
    assertThrows(
        IllegalArgumentException.class,
        () ->
            parse(
                "namespaces: [{name: a}]\npods: [{name: p, namespace: a}, {name: p, namespace: a}]\n"));
    var regex =
        assertThrows(
            IllegalArgumentException.class,
            () -> parse("namespaces: [{name: a, permitted: \"(\"}]\n"));
    assertTrue(regex.getMessage().contains("not a regular expression"), regex.getMessage());
    assertThrows(
        IllegalArgumentException.class, () -> parse("namespaces: [{name: a, colour: red}]\n"));
    assertThrows(
        IllegalArgumentException.class, () -> parse("namespaces: [{name: Not_A_Label}]\n"));
  }

  @Test
  void daemonFlagsAndStsRolesAreRead() {
    LocalConfig config =
        parse(
            """
            namespaces: [{name: shop, permitted: "shop-.*"}]
            server: {flags: ["--session-duration=30m"]}
            agent: {flags: ["--require-imdsv2"]}
            sts: {deny: [shop-secret]}
            """);
    assertEquals(java.util.List.of("--session-duration=30m"), config.server().flags());
    assertEquals(java.util.List.of("--require-imdsv2"), config.agent().flags());
    assertTrue(config.sts().allows("shop-anything"), "every role of the account by default");
    assertFalse(config.sts().allows("shop-secret"));
  }

  @Test
  void stsRolesListLimitsTheRolesAndBadFlagsAreRefused() {
    LocalConfig config = parse("sts: {roles: [shop-a, team/shop-b]}");
    assertTrue(config.sts().allows("shop-a"));
    assertTrue(config.sts().allows("shop-b"));
    assertFalse(config.sts().allows("shop-c"));

    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> parse("server: {flags: [bind]}"));
    assertTrue(e.getMessage().contains("--name"), e.getMessage());
  }
}
