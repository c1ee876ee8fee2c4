package io.kiam.server.roles;

import io.kiam.server.k8s.PodInfo;
import io.kiam.server.k8s.PodListener;
import io.kiam.server.policy.Decision;
import io.kiam.server.sts.IssuedCredentials;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * The server's credential decisions as operators read them: one INFO line when a pod's decision
 * changes (credentials issued, refreshed, refused, or refused for a new reason), DEBUG for every
 * repeat, so a busy node costs no log volume per request. Secrets never appear; the access key id
 * does.
 */
public final class DecisionLog implements PodListener {
  private static final Logger log = LoggerFactory.getLogger(DecisionLog.class);

  /** Pod-less refusals (unknown IPs) remembered at most this many at a time. */
  private static final int MAX_UNKNOWN = 10_000;

  private final ConcurrentHashMap<String, String> lastByPod = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, String> lastByIp = new ConcurrentHashMap<>();

  /** The pod got credentials for its role. */
  public void issued(PodInfo pod, String ip, Decision.Allowed allowed, IssuedCredentials issued) {
    String now = "allowed " + allowed.roleArn() + " " + issued.accessKeyId();
    String before = lastByPod.put(pod.uid(), now);
    String message;
    Level level;
    if (now.equals(before)) {
      level = Level.DEBUG;
      message = "credentials served";
    } else if (before != null && before.startsWith("allowed " + allowed.roleArn() + " ")) {
      level = Level.INFO;
      message = "credentials refreshed";
    } else {
      level = Level.INFO;
      message = "credentials issued";
    }
    if (!log.isEnabledForLevel(level)) {
      return;
    }
    log.atLevel(level)
        .addKeyValue("pod.namespace", pod.namespace())
        .addKeyValue("pod.name", pod.name())
        .addKeyValue("pod.ip", ip)
        .addKeyValue("pod.iam.role", allowed.role())
        .addKeyValue("pod.iam.role_arn", allowed.roleArn())
        .addKeyValue("credentials.access.key", issued.accessKeyId())
        .addKeyValue("credentials.expiration", issued.expiration())
        .log(message);
  }

  /** The policy refused the pod. */
  public void refused(PodInfo pod, String ip, Decision decision) {
    refused(pod, ip, pod.hasRole() ? pod.role() : null, decision.outcome(), decision.explanation());
  }

  /**
   * A request was refused: {@code pod} may be null (no pod has the IP); {@code code} is a stable
   * label such as a gRPC code or a decision outcome.
   */
  public void refused(PodInfo pod, String ip, String role, String code, String reason) {
    String now = "refused " + code + " " + reason;
    String before;
    if (pod != null) {
      before = lastByPod.put(pod.uid(), now);
    } else {
      if (lastByIp.size() >= MAX_UNKNOWN) {
        lastByIp.clear();
      }
      before = lastByIp.put(String.valueOf(ip), now);
    }
    Level level = now.equals(before) ? Level.DEBUG : Level.INFO;
    if (!log.isEnabledForLevel(level)) {
      return;
    }
    LoggingEventBuilder line = log.atLevel(level);
    if (pod != null) {
      line = line.addKeyValue("pod.namespace", pod.namespace()).addKeyValue("pod.name", pod.name());
    }
    line.addKeyValue("pod.ip", ip)
        .addKeyValue("pod.iam.role", role)
        .addKeyValue("decision", code)
        .addKeyValue("reason", reason)
        .log("credentials refused");
  }

  @Override
  public void podChanged(PodInfo before, PodInfo after) {
    if (after == null && before != null) {
      lastByPod.remove(before.uid());
    }
    if (after != null && after.ownsIps()) {
      after.ips().forEach(lastByIp::remove);
    }
  }

  /** How many pods' last decisions are remembered (for tests). */
  int remembered() {
    return lastByPod.size();
  }
}
