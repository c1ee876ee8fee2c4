package io.kiam.agent.http;

import io.kiam.agent.client.PodRef;
import io.kiam.agent.imds.Reply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * One line per answered request, for operators who tail the agent: who asked (the TCP source, and
 * the pod when the server named it), what for, and what came of it. Never a token or a secret.
 */
public final class AccessLog {
  private static final Logger log = LoggerFactory.getLogger("io.kiam.agent.access");

  /** A request that reached a route: the method and the normalised path. */
  public record Entry(String ip, String method, String path, String route) {}

  private AccessLog() {}

  /** Probes that pass are DEBUG: kubelet asks every few seconds and operators need not see it. */
  private static Level level(Entry entry, int status) {
    if (status >= 500) {
      return Level.WARN;
    }
    boolean probe = entry.route().equals("ping") || entry.route().equals("health");
    return probe && status == 200 ? Level.DEBUG : Level.INFO;
  }

  /**
   * {@code nanos} in milliseconds with two decimals, as {@code String.format("%.2f")} writes them,
   * without a Formatter (and its locale look-ups) per request.
   */
  static String millis(long nanos) {
    long hundredths = Math.round(Math.max(0, nanos) / 1e4);
    long fraction = hundredths % 100;
    return (hundredths / 100) + (fraction < 10 ? ".0" : ".") + fraction;
  }

  static void write(Entry entry, Reply reply, long nanos) {
    int status = reply.status().code();
    Level level = level(entry, status);
    if (!log.isEnabledForLevel(level)) {
      return;
    }
    LoggingEventBuilder line =
        log.atLevel(level)
            .addKeyValue("pod.ip", entry.ip())
            .addKeyValue("http.method", entry.method())
            .addKeyValue("http.path", entry.path())
            .addKeyValue("http.route", entry.route())
            .addKeyValue("http.status", status)
            .addKeyValue("latency.ms", millis(nanos))
            // kiam's own access-log keys (pkg/aws/metadata/log.go), for queries written for kiam;
            // duration in milliseconds
            .addKeyValue("addr", entry.ip())
            .addKeyValue("method", entry.method())
            .addKeyValue("path", entry.path())
            .addKeyValue("status", status)
            .addKeyValue("duration", Math.round(nanos / 1e3) / 1e3);
    PodRef pod = reply.pod();
    if (pod != null) {
      line = line.addKeyValue("pod.namespace", pod.namespace());
      line = line.addKeyValue("pod.name", pod.name());
    }
    if (!reply.role().isEmpty()) {
      line = line.addKeyValue("pod.iam.role", reply.role());
    }
    if (!reply.accessKey().isEmpty()) {
      line = line.addKeyValue("credentials.access.key", reply.accessKey());
    }
    if (!reply.reason().isEmpty()) {
      line = line.addKeyValue("reason", reply.reason());
    }
    line.log("{} {} {}", entry.method(), entry.path(), status);
  }
}
