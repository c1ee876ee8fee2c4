package io.kiam.agent.imds;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Turns a raw request target into one canonical path before routing, refusing every spelling that
 * once let a pod reach the node's credentials through another project's proxy: encoded slashes,
 * backslashes, double encoding, control characters, dot segments that climb above the root, path
 * parameters ({@code ;}, which Java and Tomcat servers strip, so {@code ..;} climbs), runs of three
 * or more dots, and other-case spellings of the metadata tree's names. What is left has one
 * spelling, which routing, the block list and the allow list all see and the proxy forwards.
 */
public final class PathNormalizer {
  /**
   * Characters a decoded path may hold: RFC 3986 unreserved, sub-delims but ';', ':' and '@'. A ';'
   * starts a path parameter that some servers drop and others keep, so no spelling is safe.
   */
  private static final String SAFE_PUNCTUATION = "-._~!$&'()*+,=:@";

  /**
   * The names of the metadata tree that guard the node's identity or route a request. Only their
   * exact spelling is canonical: an upstream that folded case would otherwise read {@code IAM/info}
   * as {@code iam/info} after every check had passed.
   */
  private static final Set<String> TREE_NAMES =
      Set.of(
          "latest",
          "meta-data",
          "dynamic",
          "user-data",
          "api",
          "token",
          "iam",
          "info",
          "identity-credentials",
          "instance-identity",
          "security-credentials",
          "security-credentials-extended",
          "document",
          "signature",
          "pkcs7",
          "rsa2048");

  private PathNormalizer() {}

  /** The canonical path of {@code target}; the query string is dropped, never routed on. */
  public static NormalizedPath normalize(String target) throws BadPathException {
    if (target == null || target.isEmpty() || target.charAt(0) != '/') {
      throw new BadPathException("request target must be a path starting with '/'");
    }
    int query = target.indexOf('?');
    String raw = query < 0 ? target : target.substring(0, query);
    if (raw.indexOf('#') >= 0) {
      throw new BadPathException("fragment in request target");
    }
    String decoded = decodeOnce(raw);
    return resolve(decoded);
  }

  private static String decodeOnce(String raw) throws BadPathException {
    if (plain(raw)) {
      return raw;
    }
    StringBuilder out = new StringBuilder(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%') {
        if (i + 2 >= raw.length()) {
          throw new BadPathException("truncated percent-encoding in path");
        }
        int hi = Character.digit(raw.charAt(i + 1), 16);
        int lo = Character.digit(raw.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          throw new BadPathException("malformed percent-encoding in path");
        }
        char decoded = (char) (hi * 16 + lo);
        checkDecoded(decoded);
        out.append(decoded);
        i += 2;
      } else {
        checkLiteral(c);
        out.append(c);
      }
    }
    return out.toString();
  }

  /** Whether {@code raw} has no escapes and only characters a path may hold as they are. */
  private static boolean plain(String raw) {
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%' || (c != '/' && !isSafe(c))) {
        return false;
      }
    }
    return true;
  }

  private static void checkLiteral(char c) throws BadPathException {
    if (c == '/' || isSafe(c)) {
      return;
    }
    if (c == '\\') {
      throw new BadPathException("backslash in path");
    }
    if (c == ';') {
      throw new BadPathException("semicolon (path parameter) in path");
    }
    throw new BadPathException("control or non-ASCII character in path");
  }

  private static void checkDecoded(char c) throws BadPathException {
    switch (c) {
      case '/' -> throw new BadPathException("encoded slash (%2F) in path");
      case ';' -> throw new BadPathException("encoded semicolon (%3B) in path");
      case '\\' -> throw new BadPathException("encoded backslash (%5C) in path");
      case '%' -> throw new BadPathException("double percent-encoding in path");
      default -> {
        if (!isSafe(c)) {
          throw new BadPathException("encoded control or reserved character in path");
        }
      }
    }
  }

  private static boolean isSafe(char c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || SAFE_PUNCTUATION.indexOf(c) >= 0;
  }

  /** Collapses repeated slashes and resolves dot segments (RFC 3986 section 5.2.4). */
  private static NormalizedPath resolve(String decoded) throws BadPathException {
    String[] parts = decoded.split("/", -1);
    List<String> segments = new ArrayList<>(parts.length);
    boolean trailingSlash = false;
    boolean roleName = false;
    for (String part : parts) {
      trailingSlash = false;
      checkSegment(part, roleName);
      if (!part.isEmpty() && !part.equals(".")) {
        roleName =
            part.equals("security-credentials") || part.equals("security-credentials-extended");
      }
      if (part.isEmpty()) {
        trailingSlash = !segments.isEmpty();
        continue;
      }
      if (part.equals(".")) {
        trailingSlash = !segments.isEmpty();
      } else if (part.equals("..")) {
        if (segments.isEmpty()) {
          throw new BadPathException("'..' climbs above the root");
        }
        segments.remove(segments.size() - 1);
        trailingSlash = !segments.isEmpty();
      } else {
        segments.add(part);
      }
    }
    return new NormalizedPath(segments, trailingSlash);
  }

  private static boolean onlyDots(String part) {
    for (int i = 0; i < part.length(); i++) {
      if (part.charAt(i) != '.') {
        return false;
      }
    }
    return true;
  }

  private static boolean hasUpperCase(String part) {
    for (int i = 0; i < part.length(); i++) {
      if (Character.isUpperCase(part.charAt(i))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Refuses a segment of three or more dots (some servers treat it as {@code ..}) and an other-case
   * spelling of a tree name, except where the segment names a role: role names are the pod's, in
   * whatever case IAM holds them.
   */
  private static void checkSegment(String part, boolean roleName) throws BadPathException {
    if (part.length() > 2 && onlyDots(part)) {
      throw new BadPathException("'" + part + "' is not a path segment");
    }
    if (roleName || !hasUpperCase(part)) {
      return;
    }
    String lower = part.toLowerCase(Locale.ROOT);
    if (!lower.equals(part) && TREE_NAMES.contains(lower)) {
      throw new BadPathException("'" + part + "' is spelled '" + lower + "' in the metadata tree");
    }
  }
}
