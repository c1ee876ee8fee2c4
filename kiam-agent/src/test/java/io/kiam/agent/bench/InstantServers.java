package io.kiam.agent.bench;

import io.kiam.agent.client.IssuedCredentials;
import io.kiam.agent.client.PodCredentials;
import io.kiam.agent.client.PodRef;
import io.kiam.agent.client.PodRole;
import io.kiam.agent.client.ServerClient;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;

/** A backend that answers at once from memory: the benchmark measures the agent, not a server. */
final class InstantServers implements ServerClient {
  static final String ROLE = "shop-reader";
  private static final PodRef POD = new PodRef("shop", "web-1");

  private final CompletableFuture<PodRole> role =
      CompletableFuture.completedFuture(
          new PodRole(POD, ROLE, "arn:aws:iam::123456789012:role/" + ROLE));
  private final CompletableFuture<PodCredentials> credentials =
      CompletableFuture.completedFuture(new PodCredentials(POD, credentials()));

  static IssuedCredentials credentials() {
    Instant now = Instant.parse("2026-01-02T15:04:05Z");
    return new IssuedCredentials(
        "ASIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "IQoJb3JpZ2luX2VjEBEN" + "x".repeat(600),
        now.plusSeconds(3600),
        now,
        "123456789012",
        "arn:aws:iam::123456789012:role/" + ROLE);
  }

  @Override
  public CompletableFuture<PodRole> podRole(String ip) {
    return role;
  }

  @Override
  public CompletableFuture<PodCredentials> podCredentials(String ip, String role) {
    return credentials;
  }

  @Override
  public CompletableFuture<Boolean> healthy() {
    return CompletableFuture.completedFuture(true);
  }

  @Override
  public void close() {}
}
