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
   * "shop-admin").
   */
  public boolean permits(String text) {
    return pattern != null && pattern.matcher(text).matches();
  }
}
