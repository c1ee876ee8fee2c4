package io.kiam.server.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiam.server.k8s.NamespaceInfo;
import io.kiam.server.k8s.PodInfo;
import io.kiam.server.k8s.PodPhase;
import io.kiam.server.sts.DefaultArnResolver;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RolePolicyTest {
  private static final String BASE = "arn:aws:iam::123456789012:role/";
  private final ArnResolver resolver = new DefaultArnResolver(BASE);

  private static PodInfo pod(String namespace, String name, String role) {
    return new PodInfo(
        "uid-" + name,
        namespace,
        name,
        List.of("10.0.0.1"),
        PodPhase.RUNNING,
        false,
        false,
        role,
        null,
        null,
        "default",
        "1");
  }

  private static Optional<NamespaceInfo> namespace(String name, String permitted) {
    return Optional.of(NamespaceInfo.of(name, permitted, "1"));
  }

  private Decision decide(PodInfo pod, Optional<NamespaceInfo> ns, String requested) {
    return RolePolicy.decide(pod, ns, requested, resolver);
  }

  @Test
  void seedExampleAllowsTheApplicationsOwnRole() {
    PodInfo pod = pod("my-application", "user-checkout-server", "my-application-user-checkout-db");

    Decision decision =
        decide(
            pod,
            namespace("my-application", "my-application-.*"),
            "my-application-user-checkout-db");

    Decision.Allowed allowed = assertInstanceOf(Decision.Allowed.class, decision);
    assertEquals(BASE + "my-application-user-checkout-db", allowed.roleArn());
    assertEquals("my-application-user-checkout-db", allowed.role());
  }

  @Test
  void seedExampleRefusesAdminWithAnExplanation() {
    PodInfo pod = pod("my-application", "user-checkout-server", "admin");

    Decision decision = decide(pod, namespace("my-application", "my-application-.*"), "admin");

    Decision.Forbidden forbidden = assertInstanceOf(Decision.Forbidden.class, decision);
    assertEquals(
        "namespace 'my-application' permits roles matching 'my-application-.*'; pod asks for 'admin'",
        forbidden.explanation());
  }

  @Test
  void expressionIsAnchoredSoShopNeverPermitsShopAdmin() {
    assertInstanceOf(
        Decision.Forbidden.class,
        decide(pod("shop", "web", "shop-admin"), namespace("shop", "shop"), "shop-admin"));
    assertInstanceOf(
        Decision.Forbidden.class,
        decide(pod("shop", "web", "my-shop"), namespace("shop", "shop"), "my-shop"));
    assertInstanceOf(
        Decision.Allowed.class,
        decide(pod("shop", "web", "shop"), namespace("shop", "shop"), "shop"));
  }

  @Test
  void podWithoutAnnotationHasNoRole() {
    Decision decision = decide(pod("shop", "web", null), namespace("shop", ".*"), "anything");

    Decision.NoRole noRole = assertInstanceOf(Decision.NoRole.class, decision);
    assertTrue(noRole.explanation().contains("iam.amazonaws.com/role"), noRole.explanation());
    assertTrue(noRole.explanation().contains("shop/web"), noRole.explanation());
  }

  @Test
  void annotationThatIsNotARoleIsNoRole() {
    Decision decision =
        decide(pod("shop", "web", "arn:aws:s3:::bucket"), namespace("shop", ".*"), "x");

    assertInstanceOf(Decision.NoRole.class, decision);
  }

  @Test
  void askingForAnotherRoleThanTheAnnotatedOneIsForbidden() {
    Decision decision =
        decide(pod("shop", "web", "shop-web"), namespace("shop", "shop-.*"), "shop-admin");

    Decision.Forbidden forbidden = assertInstanceOf(Decision.Forbidden.class, decision);
    assertTrue(
        forbidden.explanation().contains("annotated with role 'shop-web'"),
        forbidden.explanation());
    assertTrue(forbidden.explanation().contains("asked for 'shop-admin'"), forbidden.explanation());
  }

  @Test
  void namespaceWithoutAnnotationPermitsNothing() {
    Decision decision = decide(pod("shop", "web", "shop-web"), namespace("shop", null), "shop-web");

    Decision.Forbidden forbidden = assertInstanceOf(Decision.Forbidden.class, decision);
    assertTrue(
        forbidden.explanation().contains("has no iam.amazonaws.com/permitted"),
        forbidden.explanation());
  }

  @Test
  void unknownNamespacePermitsNothing() {
    assertInstanceOf(
        Decision.Forbidden.class,
        decide(pod("shop", "web", "shop-web"), Optional.empty(), "shop-web"));
  }

  @Test
  void invalidExpressionPermitsNothingAndSaysWhy() {
    Decision decision =
        decide(pod("shop", "web", "shop-web"), namespace("shop", "shop-(["), "shop-web");

    Decision.Forbidden forbidden = assertInstanceOf(Decision.Forbidden.class, decision);
    assertTrue(forbidden.explanation().contains("invalid"), forbidden.explanation());
  }

  @Test
  void aPathologicalExpressionIsEvaluatedInLinearTimeAndDecides() {
    // Catastrophic for a backtracking engine: (.*a){12} against "aaa...ab" tries about n^12 ways
    // to split the role; java.util.regex runs for hours. RE2 answers in one linear pass. The
    // bound only catches the failure; the test takes milliseconds when it passes.
    String role = "a".repeat(60) + "b";
    Decision decision =
        assertTimeoutPreemptively(
            java.time.Duration.ofSeconds(20),
            () -> decide(pod("shop", "web", role), namespace("shop", "(.*a){12}"), role));

    assertInstanceOf(Decision.Forbidden.class, decision);
  }

  @ParameterizedTest
  @ValueSource(strings = {"shop-(?=web).*", "(shop)-\\1", "shop-.*+"})
  void expressionsOnlyABacktrackingEngineAcceptsAreInvalidAndPermitNothing(String expression) {
    Decision decision =
        decide(pod("shop", "web", "shop-web"), namespace("shop", expression), "shop-web");

    Decision.Forbidden forbidden = assertInstanceOf(Decision.Forbidden.class, decision);
    assertTrue(forbidden.explanation().contains("invalid"), forbidden.explanation());
  }

  @Test
  void goSyntaxThatJavaLacksWorks() {
    // RE2's named groups spelled as in Go, (?P<name>...), which java.util.regex refuses.
    Decision decision =
        decide(pod("shop", "web", "shop-web"), namespace("shop", "(?P<team>shop)-.*"), "shop-web");

    assertInstanceOf(Decision.Allowed.class, decision);
  }

  @Test
  void expressionMayMatchTheFullArn() {
    Decision decision =
        decide(
            pod("shop", "web", "shop-web"),
            namespace("shop", "arn:aws:iam::123456789012:role/shop-.*"),
            "shop-web");

    assertInstanceOf(Decision.Allowed.class, decision);
  }

  @Test
  void emptyRequestedRoleIsAnInvalidRequest() {
    assertInstanceOf(
        Decision.InvalidRequest.class,
        decide(pod("shop", "web", "shop-web"), namespace("shop", ".*"), " "));
  }

  @ParameterizedTest(name = "annotation {0}, request {1}")
  @CsvSource({
    // a role name, as the agent lists it
    "shop-web, shop-web, arn:aws:iam::123456789012:role/shop-web",
    // a path/name: the agent lists the last segment, or the request repeats the annotation
    "team/shop-web, shop-web, arn:aws:iam::123456789012:role/team/shop-web",
    "team/shop-web, team/shop-web, arn:aws:iam::123456789012:role/team/shop-web",
    // full ARNs in each partition
    "arn:aws:iam::210987654321:role/shop-web, shop-web, arn:aws:iam::210987654321:role/shop-web",
    "arn:aws-cn:iam::210987654321:role/shop-web, shop-web, arn:aws-cn:iam::210987654321:role/shop-web",
    "arn:aws-us-gov:iam::210987654321:role/p/shop-web, shop-web, arn:aws-us-gov:iam::210987654321:role/p/shop-web",
    // the request names the ARN the annotation's name resolves to
    "shop-web, arn:aws:iam::123456789012:role/shop-web, arn:aws:iam::123456789012:role/shop-web",
  })
  void roleFormsResolveToTheAnnotatedArn(String annotation, String requested, String arn) {
    ArnResolver allowingOthers = new DefaultArnResolver(BASE, "210987654321");
    Decision decision =
        RolePolicy.decide(
            pod("shop", "web", annotation),
            namespace("shop", "(.*/)?.*"),
            requested,
            allowingOthers);

    assertEquals(arn, assertInstanceOf(Decision.Allowed.class, decision).roleArn());
  }

  @Test
  void sameNameInAnotherAccountIsNotTheAnnotatedRole() {
    Decision decision =
        decide(
            pod("shop", "web", "shop-web"),
            namespace("shop", ".*"),
            "arn:aws:iam::999999999999:role/shop-web");

    assertInstanceOf(Decision.Forbidden.class, decision);
  }

  @ParameterizedTest(name = "{0} refuses {1}")
  @CsvSource({
    // a role named admin under the path shop-x/: the expression never says it reaches a path
    "shop-.*, shop-x/admin",
    "shop-.*, /shop-x/admin",
    "shop-[^a]*, shop-x/admin",
    "(?s)shop-.*, shop-x/admin",
    // another account's role that happens to end like the namespace's
    ".*-reader, arn:aws:iam::123456789012:role/prod-reader",
    ".*, arn:aws:iam::123456789012:role/admin",
    ".*, k8s/admin",
  })
  void anExpressionWithoutASlashNeverReachesAPathOrAnArn(String expression, String annotation) {
    Decision decision =
        decide(pod("shop", "web", annotation), namespace("shop", expression), annotation);

    Decision.Forbidden forbidden = assertInstanceOf(Decision.Forbidden.class, decision);
    assertTrue(forbidden.explanation().contains("contains a '/'"), forbidden.explanation());
  }

  @ParameterizedTest(name = "{0} permits {1}")
  @CsvSource({
    "shop-.*, shop-api",
    "shop-.*, /shop-api",
    "shop-x/.*, shop-x/admin",
    "k8s/shop-.*, /k8s/shop-api",
    "arn:aws:iam::123456789012:role/k8s/.*, k8s/app",
    "arn:aws:iam::123456789012:role/.*, arn:aws:iam::123456789012:role/app",
  })
  void anExpressionWithASlashSaysItReachesUnderAPath(String expression, String annotation) {
    Decision decision =
        decide(pod("shop", "web", annotation), namespace("shop", expression), annotation);

    assertInstanceOf(Decision.Allowed.class, decision);
  }

  @Test
  void aRoleUnderTheBaseArnsOwnPathIsMatchedByItsNameAsWritten() {
    ArnResolver underPath = new DefaultArnResolver(BASE + "k8s/");

    Decision decision =
        RolePolicy.decide(
            pod("shop", "web", "shop-api"), namespace("shop", "shop-.*"), "shop-api", underPath);

    assertEquals(
        BASE + "k8s/shop-api", assertInstanceOf(Decision.Allowed.class, decision).roleArn());
  }

  @Test
  void anotherAccountsRoleIsRefusedByDefaultWhateverTheExpression() {
    String arn = "arn:aws:iam::210987654321:role/shop-api";

    Decision decision = decide(pod("shop", "web", arn), namespace("shop", "(.*/)?.*"), arn);

    Decision.Forbidden forbidden = assertInstanceOf(Decision.Forbidden.class, decision);
    assertTrue(forbidden.explanation().contains("account 210987654321"), forbidden.explanation());
    assertTrue(forbidden.explanation().contains("--allowed-role-accounts"));
    assertTrue(!forbidden.explanation().contains("123456789012"), forbidden.explanation());
  }

  @Test
  void anAccountTheOperatorNamedIsAllowedAndOthersStillRefused() {
    ArnResolver named = new DefaultArnResolver(BASE, "210987654321, 111122223333");
    String allowed = "arn:aws:iam::210987654321:role/shop-api";
    String other = "arn:aws:iam::999999999999:role/shop-api";
    Optional<NamespaceInfo> ns = namespace("shop", "arn:aws:iam::.*:role/shop-.*");

    assertInstanceOf(
        Decision.Allowed.class, RolePolicy.decide(pod("shop", "web", allowed), ns, allowed, named));
    assertInstanceOf(
        Decision.Forbidden.class, RolePolicy.decide(pod("shop", "web", other), ns, other, named));
  }

  @Test
  void anyAccountWhenTheOperatorSaysStar() {
    ArnResolver any = new DefaultArnResolver(BASE, "*");
    String arn = "arn:aws:iam::999999999999:role/shop-api";

    assertInstanceOf(
        Decision.Allowed.class,
        RolePolicy.decide(pod("shop", "web", arn), namespace("shop", ".*/shop-.*"), arn, any));
  }

  @ParameterizedTest
  @ValueSource(strings = {"12345", "abc", "210987654321,", "*,210987654321"})
  void aMalformedAccountListIsRefusedNamingTheFlag(String flag) {
    IllegalArgumentException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> new DefaultArnResolver(BASE, flag));
    assertTrue(e.getMessage().startsWith("--allowed-role-accounts"), e.getMessage());
  }
}
