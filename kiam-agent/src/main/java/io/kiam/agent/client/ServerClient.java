package io.kiam.agent.client;

import java.util.concurrent.CompletableFuture;

/**
 * The agent's view of the kiam-servers, in domain terms. Futures fail with {@link ServerFailure}
 * whose kind says what went wrong; every answer arrives within a deadline that fits the AWS SDKs' 1
 * s metadata budget.
 */
public interface ServerClient extends AutoCloseable {
  /** The role the pod at {@code ip} is annotated with. */
  CompletableFuture<PodRole> podRole(String ip);

  /** Credentials for {@code role}, if the pod at {@code ip} may have it. */
  CompletableFuture<PodCredentials> podCredentials(String ip, String role);

  /** True when at least one server answers its health check as serving. */
  CompletableFuture<Boolean> healthy();

  @Override
  void close();
}
