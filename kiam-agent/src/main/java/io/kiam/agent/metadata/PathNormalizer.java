package io.kiam.agent.metadata;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns a raw request target into one canonical path before routing, refusing every spelling that
 * once let a pod reach the node's credentials through another project's proxy: encoded slashes,
 * backslashes, double encoding, control characters and dot segments that climb above the root.
 */
public final class PathNormalizer {
  /** Characters a decoded path may hold: RFC 3986 unreserved, sub-delims, ':' and '@'. */
  private static final String SAFE_PUNCTUATION = "-._~!$&'()*+,;=:@";

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

  private static void checkLiteral(char c) throws BadPathException {
    if (c == '/' || isSafe(c)) {
      return;
    }
    if (c == '\\') {
      throw new BadPathException("backslash in path");
    }
    throw new BadPathException("control or non-ASCII character in path");
  }

  private static void checkDecoded(char c) throws BadPathException {
    switch (c) {
      case '/' -> throw new BadPathException("encoded slash (%2F) in path");
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
    for (String part : parts) {
      trailingSlash = false;
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
}
