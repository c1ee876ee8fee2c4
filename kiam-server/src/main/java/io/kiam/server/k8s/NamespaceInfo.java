package io.kiam.server.k8s;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.util.Objects;

/**
 * A namespace's role permission: its iam.amazonaws.com/permitted expression compiled once per
 * change, or why there is none. Expressions are RE2 (RE2/J): Go's syntax, which kiam users wrote
 * them in, and matching in time linear in the role's length whatever a namespace's owner writes, so
 * no expression can make the server backtrack for ever.
 *
 * @param permitted the annotation's text, or null when the namespace has none
 * @param pattern the compiled expression, or null when absent or invalid
 * @param patternError why the expression does not compile, or null
 */
public record NamespaceInfo(
    String name, String permitted, Pattern pattern, String patternError, String resourceVersion) {

  public NamespaceInfo {
    Objects.requireNonNull(name, "name");
  }

  /** Compiles the annotation; an invalid expression permits nothing and says why. */
  public static NamespaceInfo of(String name, String permitted, String resourceVersion) {
    if (permitted == null) {
      return new NamespaceInfo(name, null, null, null, resourceVersion);
    }
    try {
      return new NamespaceInfo(name, permitted, Pattern.compile(permitted), null, resourceVersion);
    } catch (PatternSyntaxException e) {
      return new NamespaceInfo(
          name,
          permitted,
          null,
          e.getDescription() + " at '" + e.getPattern() + "'",
          resourceVersion);
    }
  }

  /**
   * The same permission matched anywhere in the role, as kiam did with {@code
   * --disable-strict-namespace-regexp}: "shop" then permits "shop-admin" and "workshop".
   */
  public NamespaceInfo unanchored() {
    if (pattern == null) {
      return this;
    }
    // The expression compiled alone above, so wrapping it in a group keeps its meaning.
    return new NamespaceInfo(
        name,
        permitted,
        Pattern.compile("(?s:.*?)(?:" + permitted + ")(?s:.*)"),
        null,
        resourceVersion);
  }

  /**
   * Whether the whole of {@code text} matches the expression (anchored: "shop" never permits
   * "shop-admin"). A raw match: {@link #permitsRole} is the policy's rule.
   */
  public boolean permits(String text) {
    return pattern != null && pattern.matcher(text).matches();
  }

  /**
   * Whether the expression permits a role, the policy's rule: it is tried against the role as the
   * pod's annotation writes it (without a leading slash) and against its full ARN, as kiam v4 did;
   * but a text containing a slash (a role with a path, or any ARN) is tried only when the
   * expression itself contains a slash. So "shop-.*" permits "shop-api" but neither "shop-x/admin"
   * (a role named admin under the path shop-x/) nor "arn:aws:iam::210987654321:role/shop-api",
   * while "k8s/.*" and "arn:aws:iam::123456789012:role/k8s/.*" say on purpose that they reach under
   * a path.
   *
   * @param annotated the role as the pod's annotation writes it
   * @param roleArn the full ARN it resolves to, or null when it does not resolve
   */
  public boolean permitsRole(String annotated, String roleArn) {
    return matchedForm(annotated, roleArn) != null;
  }

  /**
   * Which form of the role the expression matched: the annotation as written (without a leading
   * slash), the ARN, or null when it permits neither; see {@link #permitsRole}.
   */
  public String matchedForm(String annotated, String roleArn) {
    if (pattern == null) {
      return null;
    }
    String written = annotated.startsWith("/") ? annotated.substring(1) : annotated;
    if (reaches(written) && permits(written)) {
      return written;
    }
    if (roleArn != null && reaches(roleArn) && permits(roleArn)) {
      return roleArn;
    }
    return null;
  }

  /** Whether the expression may be tried against the text at all: a path needs a slash in it. */
  private boolean reaches(String text) {
    return text.indexOf('/') < 0 || permitted.indexOf('/') >= 0;
  }
}
