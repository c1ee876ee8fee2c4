package io.kiam.agent.client;

import io.kiam.proto.v1.GetPodCredentialsResponse;
import io.kiam.proto.v1.GetPodRoleResponse;
import java.util.concurrent.CompletableFuture;

/**
 * The agent's view of the kiam-servers. Futures fail with {@link io.grpc.StatusRuntimeException}
 * whose code (never its text) says what went wrong, as kiam.proto documents; every call carries a
 * deadline that fits the AWS SDKs' 1 s metadata budget.
 */
public interface ServerClient extends AutoCloseable {
  CompletableFuture<GetPodRoleResponse> podRole(String ip);

  CompletableFuture<GetPodCredentialsResponse> podCredentials(String ip, String role);

  /** True when at least one server answers its health check as serving. */
  CompletableFuture<Boolean> healthy();

  @Override
  void close();
}
