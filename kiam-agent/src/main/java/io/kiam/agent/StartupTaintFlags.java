package io.kiam.agent;

import io.kiam.agent.node.StartupTaintConfig;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The opt-in startup taint: which taint the agent lifts from its own node once it is ready, and how
 * it reaches the Kubernetes API (in-cluster defaults from the pod's environment).
 */
public final class StartupTaintFlags {
  static final String TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";
  static final String CA = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";

  @Option(
      names = "--remove-startup-taint",
      paramLabel = "KEY",
      description =
          "Remove the taint with this key (e.g. "
              + StartupTaintConfig.DEFAULT_KEY
              + ") from this node once the DNAT rule is in place and a kiam-server answers;"
              + " needs --node-name (default: none, the node is not touched).")
  String taintKey;

  @Option(
      names = "--kube-api-url",
      paramLabel = "URL",
      defaultValue =
          "https://${env:KUBERNETES_SERVICE_HOST:-kubernetes.default.svc}"
              + ":${env:KUBERNETES_SERVICE_PORT:-443}",
      description =
          "The Kubernetes API, for --remove-startup-taint"
              + " (default: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT, else"
              + " https://kubernetes.default.svc:443).")
  String apiUrl;

  @Option(
      names = "--kube-token-file",
      paramLabel = "FILE",
      defaultValue = TOKEN,
      description =
          "The service account token, re-read on each call, for --remove-startup-taint"
              + " (default: ${DEFAULT-VALUE}).")
  Path tokenFile;

  @Option(
      names = "--kube-ca-file",
      paramLabel = "FILE",
      defaultValue = CA,
      description =
          "The API's CA, for --remove-startup-taint; ignored for an http URL"
              + " (default: ${DEFAULT-VALUE}).")
  Path caFile;

  /** The startup taint to remove, if one was asked for. */
  Optional<StartupTaintConfig> config() {
    if (taintKey == null || taintKey.isBlank()) {
      return Optional.empty();
    }
    URI api = apiUri();
    Optional<Path> ca =
        "https".equals(api.getScheme()) && Files.exists(caFile)
            ? Optional.of(caFile)
            : Optional.empty();
    return Optional.of(new StartupTaintConfig(taintKey.strip(), api, tokenFile, ca));
  }

  private URI apiUri() {
    String url = apiUrl == null ? "" : apiUrl.strip();
    // KUBERNETES_SERVICE_HOST is a bare IPv6 literal on IPv6 clusters: bracket it
    int schemeEnd = url.indexOf("://");
    int portColon = url.lastIndexOf(':');
    if (schemeEnd > 0 && portColon > schemeEnd + 3) {
      String host = url.substring(schemeEnd + 3, portColon);
      if (host.contains(":") && !host.startsWith("[")) {
        url = url.substring(0, schemeEnd + 3) + "[" + host + "]" + url.substring(portColon);
      }
    }
    try {
      return new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(
          "--kube-api-url: '" + url + "' is not a URL: " + e.getReason(), e);
    }
  }
}
