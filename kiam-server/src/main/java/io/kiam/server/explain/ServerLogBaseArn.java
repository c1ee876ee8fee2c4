package io.kiam.server.explain;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.kiam.server.sts.InstanceProfileBaseArn;
import java.util.Optional;
import java.util.regex.Matcher;

/**
 * The base ARN a server running with {@code --role-base-arn-autodetect} detected, read from the
 * line it logs at start: the same value the server resolves roles against, computed where only the
 * server can (its node's instance profile).
 */
final class ServerLogBaseArn {
  /** The line is among the first the server writes; read no more than this of the log. */
  static final int LOG_BYTES = 1 << 20;

  /** The detected ARN, or why it could not be read. */
  record Result(Optional<String> baseArn, String why) {}

  private ServerLogBaseArn() {}

  static Result read(KubernetesClient client, ServerSettingsFinder.Found server) {
    String log;
    try {
      log =
          client
              .pods()
              .inNamespace(server.namespace())
              .withName(server.pod())
              .inContainer(server.container())
              .limitBytes(LOG_BYTES)
              .getLog();
    } catch (KubernetesClientException e) {
      return new Result(Optional.empty(), "cannot read its log (" + oneLine(e.getMessage()) + ")");
    }
    Matcher m = InstanceProfileBaseArn.DETECTED_IN_LOG.matcher(log == null ? "" : log);
    if (m.find()) {
      return new Result(Optional.of(m.group(1)), "its log");
    }
    return new Result(
        Optional.empty(), "its log does not have the detected ARN (rotated, or a kiam v4 server)");
  }

  private static String oneLine(String s) {
    return String.valueOf(s).replace('\n', ' ').replace('\r', ' ').trim();
  }
}
