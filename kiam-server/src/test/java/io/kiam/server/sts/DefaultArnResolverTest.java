package io.kiam.server.sts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiam.server.policy.RoleArns;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DefaultArnResolverTest {
  private final DefaultArnResolver resolver =
      new DefaultArnResolver("arn:aws:iam::123456789012:role/");

  @Test
  void resolvesABareNameAgainstTheBase() {
    assertEquals(
        "arn:aws:iam::123456789012:role/my-application-user-checkout-db",
        resolver.resolve("my-application-user-checkout-db"));
  }

  @Test
  void resolvesAPathWithOrWithoutALeadingSlash() {
    assertEquals("arn:aws:iam::123456789012:role/team/app-role", resolver.resolve("team/app-role"));
    assertEquals(
        "arn:aws:iam::123456789012:role/team/app-role", resolver.resolve("/team/app-role"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "arn:aws:iam::210987654321:role/other",
        "arn:aws-cn:iam::123456789012:role/cn-role",
        "arn:aws-us-gov:iam::123456789012:role/gov/path/role",
        "arn:aws-iso:iam::123456789012:role/iso-role",
        "arn:aws-iso-b:iam::123456789012:role/isob-role"
      })
  void keepsFullArnsInEveryPartitionAsTheyAre(String arn) {
    assertEquals(arn, resolver.resolve(arn));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        " ",
        " padded",
        "team//app",
        "team/",
        "has space",
        "a:b",
        "arn:aws:iam::123456789012:user/not-a-role",
        "arn:aws:iam::12345:role/short-account",
        "arn:aws:s3:::bucket",
        "arn:azure:iam::123456789012:role/x",
        "arn:aws:iam::123456789012:role/"
      })
  void refusesMalformedRolesWithAMessageThatSaysWhatIsExpected(String role) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> resolver.resolve(role));
    assertTrue(
        e.getMessage().contains("role") && e.getMessage().length() > 30,
        "an actionable message: " + e.getMessage());
  }

  @Test
  void refusesARoleNameLongerThanIamAllows() {
    String name = "r".repeat(65);
    assertThrows(IllegalArgumentException.class, () -> resolver.resolve(name));
    assertEquals(
        "arn:aws:iam::123456789012:role/" + "r".repeat(64), resolver.resolve("r".repeat(64)));
  }

  @Test
  void acceptsABaseWithoutTheTrailingSlashAndABaseWithAPath() {
    assertEquals(
        "arn:aws:iam::123456789012:role/x",
        new DefaultArnResolver("arn:aws:iam::123456789012:role").resolve("x"));
    assertEquals(
        "arn:aws-cn:iam::123456789012:role/kiam/x",
        new DefaultArnResolver("arn:aws-cn:iam::123456789012:role/kiam/").resolve("x"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "123456789012",
        "arn:aws:iam::123456789012:user/",
        "arn:aws:iam::123456789012:role/name-without-slash",
        "arn:aws:iam::1234:role/",
        "arn:nope:iam::123456789012:role/"
      })
  void refusesAMalformedBaseNamingTheFlag(String base) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new DefaultArnResolver(base));
    assertTrue(e.getMessage().startsWith("--role-base-arn:"), e.getMessage());
  }

  @Test
  void takesArnsApart() {
    String arn = "arn:aws-us-gov:iam::123456789012:role/team/sub/app-role";
    assertTrue(RoleArns.isValid(arn));
    assertEquals("aws-us-gov", RoleArns.partition(arn));
    assertEquals("123456789012", RoleArns.accountId(arn));
    assertEquals("team/sub/", RoleArns.path(arn));
    assertEquals("app-role", RoleArns.roleName(arn));
    assertEquals("", RoleArns.path("arn:aws:iam::123456789012:role/plain"));
    assertFalse(RoleArns.isValid(null));
    assertFalse(RoleArns.isValid("arn:aws:iam::123456789012:role/x" + "/y".repeat(1100)));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> RoleArns.accountId("nonsense"));
    assertTrue(e.getMessage().contains("arn:PARTITION:iam::ACCOUNT:role/"), e.getMessage());
  }
}
