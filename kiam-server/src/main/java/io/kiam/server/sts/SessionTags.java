package io.kiam.server.sts;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The session tags and SourceIdentity an AssumeRole call carries, so CloudTrail can tell apart the
 * pods that share a role; part of the credential cache's key, so tagged sessions are never shared.
 *
 * @param tags tag keys to values, in the order they are sent
 * @param sourceIdentity the SourceIdentity, or empty
 */
public record SessionTags(Map<String, String> tags, Optional<String> sourceIdentity) {
  /** No tags and no SourceIdentity: the call kiam has always made. */
  public static final SessionTags NONE = new SessionTags(Map.of(), Optional.empty());

  public SessionTags {
    tags = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(tags, "tags")));
    Objects.requireNonNull(sourceIdentity, "sourceIdentity");
  }

  public boolean isEmpty() {
    return tags.isEmpty() && sourceIdentity.isEmpty();
  }
}
