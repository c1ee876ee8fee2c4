package io.kiam.agent.client;

import java.util.List;
import java.util.Map;

/**
 * The channel's service config: round robin over every server ({@link SkipTriedBalancer}), and
 * gRPC's own retry of UNAVAILABLE (a server down, restarting, not synced yet, or unable to reach
 * STS), which picks a server the call has not tried yet.
 *
 * <p>Backoffs are small because the whole call, retries included, must fit the AWS SDKs' 1 s.
 */
final class CallPolicy {
  private CallPolicy() {}

  static Map<String, Object> serviceConfig(int maxAttempts) {
    Map<String, Object> methodConfig =
        maxAttempts > 1
            ? Map.of(
                "name",
                List.of(Map.of("service", "kiam.v1.KiamService")),
                "retryPolicy",
                Map.of(
                    // gRPC's JSON numbers are doubles.
                    "maxAttempts",
                    (double) maxAttempts,
                    "initialBackoff",
                    "0.01s",
                    "maxBackoff",
                    "0.05s",
                    "backoffMultiplier",
                    2.0,
                    "retryableStatusCodes",
                    List.of("UNAVAILABLE")))
            : Map.of("name", List.of(Map.of("service", "kiam.v1.KiamService")));
    return Map.of(
        "loadBalancingConfig", List.of(Map.of(SkipTriedBalancer.policy(), Map.of())),
        "methodConfig", List.of(methodConfig));
  }
}
