package io.kiam.agent.imds;

import io.kiam.agent.client.ServerClient;
import io.kiam.agent.metrics.AgentMetrics;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * What the metadata handlers need, gathered once per agent and shared by every connection.
 *
 * @param requestTimeout the most a request may wait for its answer before the agent gives up
 * @param blocking where checks that may block (running iptables) run, never on an event loop
 */
public record MetadataServices(
    ServerClient servers,
    TokenIssuer tokens,
    Router router,
    Upstream upstream,
    InterceptionCheck interception,
    Executor blocking,
    boolean requireImdsv2,
    Duration requestTimeout,
    AgentMetrics metrics) {

  public MetadataServices {
    Objects.requireNonNull(servers, "servers");
    Objects.requireNonNull(tokens, "tokens");
    Objects.requireNonNull(router, "router");
    Objects.requireNonNull(upstream, "upstream");
    Objects.requireNonNull(interception, "interception");
    Objects.requireNonNull(blocking, "blocking");
    Objects.requireNonNull(requestTimeout, "requestTimeout");
    Objects.requireNonNull(metrics, "metrics");
    if (requestTimeout.isNegative() || requestTimeout.isZero()) {
      throw new IllegalArgumentException("requestTimeout must be positive");
    }
  }
}
