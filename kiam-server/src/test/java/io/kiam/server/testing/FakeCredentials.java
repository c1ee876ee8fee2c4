package io.kiam.server.testing;

import io.kiam.server.sts.CredentialsSource;
import io.kiam.server.sts.IssuedCredentials;
import io.kiam.server.sts.RoleRequest;
import io.kiam.server.sts.StsFailure;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A hand-written credentials source: issues made-up credentials for any request, or fails the roles
 * told to fail; records what it was asked for, so tests can check requests and prefetches.
 */
public final class FakeCredentials implements CredentialsSource {
  public static final String SECRET = "fake-secret-key-never-logged";
  public static final String TOKEN = "fake-session-token-never-logged";

  private final Map<String, StsFailure> failures = new ConcurrentHashMap<>();
  public final List<RoleRequest> requested = new CopyOnWriteArrayList<>();
  public final List<RoleRequest> prefetched = new CopyOnWriteArrayList<>();

  /** Every prefetch, in order, for tests that wait for the next one. */
  public final BlockingQueue<RoleRequest> prefetches = new LinkedBlockingQueue<>();

  private volatile Duration delay = Duration.ZERO;

  /** Answers every later request only after {@code delay} (a slow STS on a cache miss). */
  public void delayAnswers(Duration delay) {
    this.delay = delay;
  }

  /** Every later request for the role fails with {@code failure}. */
  public void failRole(String roleArn, StsFailure failure) {
    failures.put(roleArn, failure);
  }

  @Override
  public CompletableFuture<IssuedCredentials> credentials(RoleRequest request) {
    requested.add(request);
    return answer(request);
  }

  @Override
  public CompletableFuture<IssuedCredentials> prefetch(RoleRequest request) {
    prefetched.add(request);
    prefetches.add(request);
    return answer(request);
  }

  private CompletableFuture<IssuedCredentials> answer(RoleRequest request) {
    StsFailure failure = failures.get(request.roleArn());
    if (failure != null) {
      return CompletableFuture.failedFuture(failure);
    }
    Instant now = Instant.now();
    String account = request.roleArn().split(":")[4];
    IssuedCredentials issued =
        new IssuedCredentials(
            "ASIAFAKE" + Math.abs(request.hashCode() % 100000),
            SECRET,
            TOKEN,
            now.plus(Duration.ofHours(1)),
            now,
            account,
            request.roleArn());
    if (delay.isZero()) {
      return CompletableFuture.completedFuture(issued);
    }
    return CompletableFuture.supplyAsync(
        () -> issued, CompletableFuture.delayedExecutor(delay.toMillis(), TimeUnit.MILLISECONDS));
  }
}
