package io.kiam.server.sts;

import java.util.concurrent.CompletableFuture;

/** Where the gRPC service gets a pod's credentials: a cache in front of STS, never STS directly. */
public interface CredentialsSource {
  /**
   * Credentials with at least the guaranteed remaining lifetime, from the cache when it holds them;
   * fails with {@link StsFailure}. Cancelling the returned future never cancels the shared STS
   * call.
   */
  CompletableFuture<IssuedCredentials> credentials(RoleRequest request);

  /** Starts fetching ahead of need (a pod appeared or changed its role); returns at once. */
  CompletableFuture<IssuedCredentials> prefetch(RoleRequest request);
}
