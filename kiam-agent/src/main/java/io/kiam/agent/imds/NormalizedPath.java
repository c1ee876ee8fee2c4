package io.kiam.agent.imds;

import java.util.List;

/**
 * A request path after {@link PathNormalizer}: decoded once, without empty or dot segments, so that
 * routing sees exactly one spelling of each resource.
 */
public record NormalizedPath(List<String> segments, boolean trailingSlash) {

  public NormalizedPath {
    segments = List.copyOf(segments);
  }

  /** The number of segments. */
  public int size() {
    return segments.size();
  }

  /** The segment at {@code index}. */
  public String segment(int index) {
    return segments.get(index);
  }

  @Override
  public String toString() {
    if (segments.isEmpty()) {
      return "/";
    }
    return "/" + String.join("/", segments) + (trailingSlash ? "/" : "");
  }
}
