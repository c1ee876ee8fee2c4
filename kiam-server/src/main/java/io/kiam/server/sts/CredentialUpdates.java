package io.kiam.server.sts;

import java.util.function.Consumer;

/**
 * Tells who pushes credentials to agents that the credentials held for a role session changed:
 * issued, refreshed, or dropped after STS refused the role.
 */
public interface CredentialUpdates {
  /** Calls {@code listener} after every change, on the cache's own threads: it must not block. */
  void onCredentialsChanged(Consumer<RoleRequest> listener);
}
