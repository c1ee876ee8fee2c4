package io.kiam.agent.bench;

import io.kiam.agent.client.ServerClient;
import io.kiam.proto.v1.Credentials;
import io.kiam.proto.v1.GetPodCredentialsResponse;
import io.kiam.proto.v1.GetPodRoleResponse;
import io.kiam.proto.v1.PodRef;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;

/** A backend that answers at once from memory: the benchmark measures the agent, not a server. */
final class InstantServers implements ServerClient {
  static final String ROLE = "shop-reader";
  private static final PodRef POD =
      PodRef.newBuilder().setNamespace("shop").setName("web-1").build();

  private final CompletableFuture<GetPodRoleResponse> role =
      CompletableFuture.completedFuture(
          GetPodRoleResponse.newBuilder()
              .setRole(ROLE)
              .setRoleArn("arn:aws:iam::123456789012:role/" + ROLE)
              .setPod(POD)
              .build());
  private final CompletableFuture<GetPodCredentialsResponse> credentials =
      CompletableFuture.completedFuture(
          GetPodCredentialsResponse.newBuilder().setPod(POD).setCredentials(credentials()).build());

  static Credentials credentials() {
    long now = Instant.parse("2026-01-02T15:04:05Z").getEpochSecond();
    return Credentials.newBuilder()
        .setAccessKeyId("ASIAIOSFODNN7EXAMPLE")
        .setSecretAccessKey("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
        .setSessionToken("IQoJb3JpZ2luX2VjEBEN" + "x".repeat(600))
        .setLastUpdatedEpochSeconds(now)
        .setExpirationEpochSeconds(now + 3600)
        .setAccountId("123456789012")
        .setRoleArn("arn:aws:iam::123456789012:role/" + ROLE)
        .build();
  }

  @Override
  public CompletableFuture<GetPodRoleResponse> podRole(String ip) {
    return role;
  }

  @Override
  public CompletableFuture<GetPodCredentialsResponse> podCredentials(String ip, String role) {
    return credentials;
  }

  @Override
  public CompletableFuture<Boolean> healthy() {
    return CompletableFuture.completedFuture(true);
  }

  @Override
  public void close() {}
}
