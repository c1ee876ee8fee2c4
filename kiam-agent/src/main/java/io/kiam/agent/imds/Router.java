package io.kiam.agent.imds;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Maps a normalised path to a {@link Route}, denying by default: only the credential routes, the
 * token route and the agent's own probes are served; anything else reaches the real metadata
 * service only when the operator's allow-list matches the whole path, and never when it would
 * reveal the node's own identity.
 */
public final class Router {
  private static final Pattern VERSION = Pattern.compile("latest|1\\.0|\\d{4}-\\d{2}-\\d{2}");
  private static final String CREDENTIALS = "security-credentials";
  private static final String CREDENTIALS_EXTENDED = "security-credentials-extended";

  private final Optional<Pattern> allowRoute;

  /** {@code allowRoute} must match the whole normalised path for it to be proxied. */
  public Router(Optional<Pattern> allowRoute) {
    this.allowRoute = allowRoute;
  }

  /** The route of {@code path}. */
  public Route route(NormalizedPath path) {
    if (path.size() == 1 && !path.trailingSlash()) {
      switch (path.segment(0)) {
        case "ping" -> {
          return new Route.Ping();
        }
        case "health" -> {
          return new Route.Health();
        }
        default -> {}
      }
    }
    if (path.size() < 2 || !isVersion(path.segment(0))) {
      return new Route.Blocked("not an instance metadata path");
    }
    if (path.size() == 3 && path.segment(1).equals("api") && path.segment(2).equals("token")) {
      return new Route.Token();
    }
    Optional<Route> credentials = credentialRoute(path);
    if (credentials.isPresent()) {
      return credentials.get();
    }
    Optional<String> nodeIdentity = nodeIdentity(path);
    if (nodeIdentity.isPresent()) {
      return new Route.Blocked(nodeIdentity.get() + " is the node's identity");
    }
    String text = path.toString();
    if (allowRoute.isPresent() && allowRoute.get().matcher(text).matches()) {
      return new Route.Proxy(text);
    }
    return new Route.Blocked("path is not in --allow-route-regexp");
  }

  private static boolean isVersion(String segment) {
    // "latest" is what SDKs ask for: no regex for it on the hot path.
    return segment.equals("latest") || VERSION.matcher(segment).matches();
  }

  private static Optional<Route> credentialRoute(NormalizedPath path) {
    if (path.size() < 4
        || !path.segment(1).equals("meta-data")
        || !path.segment(2).equals("iam")
        || !(path.segment(3).equals(CREDENTIALS) || path.segment(3).equals(CREDENTIALS_EXTENDED))) {
      return Optional.empty();
    }
    boolean extended = path.segment(3).equals(CREDENTIALS_EXTENDED);
    if (path.size() == 4) {
      return Optional.of(new Route.RoleName(extended));
    }
    if (path.size() == 5 && !path.trailingSlash()) {
      return Optional.of(new Route.Credentials(path.segment(4), extended));
    }
    return Optional.of(new Route.Blocked("no such credentials path"));
  }

  /**
   * Names the part of the node's identity {@code path} would reveal, if any. The names are looked
   * for at any depth and in any case, so that neither an odd spelling nor a generous allow-list
   * ({@code .*}) reaches them: {@code iam/}, {@code identity-credentials/}, {@code user-data},
   * {@code api/token} and {@code instance-identity/} but its {@code document}.
   */
  public static Optional<String> nodeIdentity(NormalizedPath path) {
    int size = path.size();
    for (int i = 0; i < size; i++) {
      String segment = stem(path.segment(i));
      switch (segment) {
        case "iam", "identity-credentials", "user-data" -> {
          return Optional.of(segment);
        }
        case "api" -> {
          if (i + 1 < size && stem(path.segment(i + 1)).equals("token")) {
            return Optional.of("api/token");
          }
        }
        case "instance-identity" -> {
          // Exactly .../instance-identity/document: the one part that proves nothing.
          boolean document =
              i == size - 2 && path.segment(i + 1).equals("document") && !path.trailingSlash();
          if (!document) {
            // The signatures prove "I am this instance" to third parties (Vault's AWS auth).
            return Optional.of("dynamic/instance-identity signatures");
          }
        }
        default -> {}
      }
    }
    return Optional.empty();
  }

  /**
   * A segment lower-cased and without leading or trailing punctuation: servers that strip a
   * trailing dot or tilde would otherwise read {@code iam.} as {@code iam}.
   */
  private static String stem(String segment) {
    String lower = segment.toLowerCase(Locale.ROOT);
    int start = 0;
    int end = lower.length();
    while (start < end && !Character.isLetterOrDigit(lower.charAt(start))) {
      start++;
    }
    while (end > start && !Character.isLetterOrDigit(lower.charAt(end - 1))) {
      end--;
    }
    return lower.substring(start, end);
  }
}
