package io.kiam.server.roles;

/**
 * Builds the STS session name for a pod from its iam.amazonaws.com/session-name annotation (or the
 * server's default suffix); the STS side owns the sanitising rules.
 */
@FunctionalInterface
public interface SessionNamer {
  /**
   * @param annotation the pod's session-name annotation, or null
   * @param defaultSuffix the server's --session value
   */
  String sessionName(String annotation, String defaultSuffix);
}
