package io.kiam.agent.node;

import java.net.URI;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What the agent needs to remove its node's startup taint: the taint's key, where the Kubernetes
 * API is, and the service account's token and the API's CA as files (re-read on each call, since
 * projected tokens rotate).
 */
public record StartupTaintConfig(
    String taintKey, URI apiServer, Path tokenFile, Optional<Path> caFile) {
  /** Kubernetes' qualified name, optionally prefixed by a DNS subdomain. */
  private static final Pattern TAINT_KEY =
      Pattern.compile(
          "([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
              + "[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");

  /** The taint the chart's node docs register nodes with. */
  public static final String DEFAULT_KEY = "kiam.amazonaws.com/agent-not-ready";

  public StartupTaintConfig {
    Objects.requireNonNull(taintKey, "taintKey");
    Objects.requireNonNull(apiServer, "apiServer");
    Objects.requireNonNull(tokenFile, "tokenFile");
    Objects.requireNonNull(caFile, "caFile");
    if (!TAINT_KEY.matcher(taintKey).matches() || taintKey.length() > 316) {
      throw new IllegalArgumentException(
          "--remove-startup-taint: '" + taintKey + "' is not a Kubernetes taint key");
    }
    String scheme = apiServer.getScheme();
    if (!"https".equals(scheme) && !"http".equals(scheme) || apiServer.getHost() == null) {
      throw new IllegalArgumentException(
          "--kube-api-url: '" + apiServer + "' is not an http(s) URL with a host");
    }
  }
}
