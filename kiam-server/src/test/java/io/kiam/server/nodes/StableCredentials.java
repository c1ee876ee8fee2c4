package io.kiam.server.nodes;

import io.kiam.server.sts.CredentialsSource;
import io.kiam.server.sts.IssuedCredentials;
import io.kiam.server.sts.RoleRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A credentials source that holds one set of credentials per request until told to refresh it, the
 * way the credential cache does, and answers from memory.
 */
final class StableCredentials implements CredentialsSource {
  private final Map<RoleRequest, IssuedCredentials> held = new ConcurrentHashMap<>();
  private final AtomicInteger serial = new AtomicInteger();
  private final Instant now = Instant.parse("2026-12-02T12:00:00Z");

  @Override
  public CompletableFuture<IssuedCredentials> credentials(RoleRequest request) {
    return CompletableFuture.completedFuture(held.computeIfAbsent(request, this::issue));
  }

  @Override
  public CompletableFuture<IssuedCredentials> prefetch(RoleRequest request) {
    return credentials(request);
  }

  /** Replaces the credentials held for the request (a refresh) and returns the new ones. */
  IssuedCredentials refresh(RoleRequest request) {
    IssuedCredentials fresh = issue(request);
    held.put(request, fresh);
    return fresh;
  }

  private IssuedCredentials issue(RoleRequest request) {
    int n = serial.incrementAndGet();
    return new IssuedCredentials(
        "ASIASTABLE" + n,
        "secret-" + n,
        "token-" + n,
        now.plus(Duration.ofHours(1)).plusSeconds(n),
        now,
        "123456789012",
        request.roleArn());
  }
}
