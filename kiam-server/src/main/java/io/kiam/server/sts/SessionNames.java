package io.kiam.server.sts;

import java.util.Objects;
import java.util.Optional;

/**
 * Builds STS role session names as kiam did: {@code kiam-} plus the pod's {@code
 * iam.amazonaws.com/session-name} annotation or the server's default suffix, made acceptable to
 * STS.
 */
public final class SessionNames {
  /** The default suffix (the server's {@code --session} default). */
  public static final String DEFAULT_SUFFIX = "kiam";

  static final String PREFIX = "kiam-";

  /** STS's RoleSessionName limit. */
  static final int MAX_LENGTH = 64;

  private final String defaultName;

  /** Uses {@code defaultSuffix} (the {@code --session} flag) when a pod has no annotation. */
  public SessionNames(String defaultSuffix) {
    Objects.requireNonNull(defaultSuffix, "defaultSuffix");
    if (defaultSuffix.isBlank()) {
      throw new IllegalArgumentException("--session: the default session name must not be empty");
    }
    this.defaultName = build(defaultSuffix);
  }

  /** The session name for a pod, given its session-name annotation if it has one. */
  public String forPod(Optional<String> annotation) {
    return annotation.filter(s -> !s.isBlank()).map(SessionNames::build).orElse(defaultName);
  }

  /**
   * The session name for a pod with the given session-name annotation (or null), falling back to
   * {@code defaultSuffix}, the {@code --session} flag (validated by {@link #SessionNames(String)}).
   */
  public static String sessionName(String annotation, String defaultSuffix) {
    return build(annotation == null || annotation.isBlank() ? defaultSuffix : annotation);
  }

  /**
   * Replaces each character STS refuses with '-' rather than failing: a pod with an odd annotation
   * still gets its credentials, and the name stays recognisable in CloudTrail.
   */
  static String build(String suffix) {
    StringBuilder name = new StringBuilder(PREFIX.length() + suffix.length()).append(PREFIX);
    for (int i = 0; i < suffix.length() && name.length() < MAX_LENGTH; i++) {
      char c = suffix.charAt(i);
      name.append(allowed(c) ? c : '-');
    }
    return name.toString();
  }

  private static boolean allowed(char c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || "_+=,.@-".indexOf(c) >= 0;
  }
}
