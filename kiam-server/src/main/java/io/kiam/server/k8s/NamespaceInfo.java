package io.kiam.server.k8s;

import java.util.Objects;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A namespace's role permission: its iam.amazonaws.com/permitted expression compiled once per
 * change, or why there is none.
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
          e.getDescription() + " near index " + e.getIndex(),
          resourceVersion);
    }
  }

  /**
   * Whether the whole of {@code text} matches the expression (anchored: "shop" never permits
   * "shop-admin").
   */
  public boolean permits(String text) {
    return pattern != null && pattern.matcher(text).matches();
  }
}
