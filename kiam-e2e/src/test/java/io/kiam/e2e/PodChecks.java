package io.kiam.e2e;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import io.kiam.e2e.metadata.NodeIdentity;
import io.kiam.e2e.node.KiamNode;
import io.kiam.e2e.node.NodePod;
import io.kiam.e2e.probe.HttpResult;
import io.kiam.e2e.probe.SdkResult;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** What the cases check from inside a pod, and the one check every case makes: no node leak. */
final class PodChecks {
  static final String CREDENTIALS = "/latest/meta-data/iam/security-credentials/";
  static final String METADATA = "169.254.169.254";

  private final KiamNode node;

  PodChecks(KiamNode node) {
    this.node = node;
  }

  /** Raw requests from the pod to 169.254.169.254:80 with an IMDSv2 token. */
  List<HttpResult> http(NodePod pod, String... paths) {
    List<String> args = new ArrayList<>(List.of("--token"));
    args.addAll(List.of(paths));
    List<HttpResult> results = node.probes().http(pod.netns(), METADATA, 80, args);
    assertNoNodeLeak(results.toString());
    return results;
  }

  /** The same requests repeated every interval, to watch a change happen. */
  List<HttpResult> watch(NodePod pod, int rounds, long intervalMillis, String... paths) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--token",
                "--repeat",
                Integer.toString(rounds),
                "--interval-ms",
                Long.toString(intervalMillis)));
    args.addAll(List.of(paths));
    List<HttpResult> results = node.probes().http(pod.netns(), METADATA, 80, args);
    assertNoNodeLeak(results.toString());
    return results;
  }

  /** The AWS SDK's default chain and GetCallerIdentity, from the pod. */
  SdkResult sdk(NodePod pod) {
    SdkResult result = node.probes().sdk(pod.netns(), node.sts().url(), node.sts().region());
    assertNoNodeLeak(result.raw());
    return result;
  }

  /** The role name the agent lists for the pod, or null when it lists none. */
  String listedRole(NodePod pod) {
    HttpResult listing = http(pod, CREDENTIALS).get(1);
    return listing.ok() ? listing.text().strip() : null;
  }

  /** Waits (bounded) until the agent lists exactly this role for the pod and serves it. */
  void awaitRole(NodePod pod, String role, Duration timeout) {
    Instant deadline = Instant.now().plus(timeout);
    List<HttpResult> last = List.of();
    while (Instant.now().isBefore(deadline)) {
      last = http(pod, CREDENTIALS, CREDENTIALS + role);
      if (last.get(1).ok()
          && last.get(1).text().strip().equals(role)
          && last.get(2).ok()
          && last.get(2).text().contains("\"AccessKeyId\"")) {
        return;
      }
      sleep(300);
    }
    fail("pod " + pod.name() + " never got role " + role + " within " + timeout + ": " + last);
  }

  /** Fails when the text holds anything of the node's own identity. */
  static void assertNoNodeLeak(String text) {
    if (text == null) {
      return;
    }
    assertFalse(text.contains(NodeIdentity.ACCESS_KEY_ID), "node access key id leaked: " + text);
    assertFalse(
        text.contains(NodeIdentity.IDENTITY_ACCESS_KEY_ID), "node identity key leaked: " + text);
    assertFalse(text.contains(NodeIdentity.LEAK_MARKER), "node metadata leaked: " + text);
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
