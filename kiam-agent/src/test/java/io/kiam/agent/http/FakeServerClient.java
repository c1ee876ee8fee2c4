package io.kiam.agent.http;

import io.kiam.agent.client.IssuedCredentials;
import io.kiam.agent.client.PodCredentials;
import io.kiam.agent.client.PodRef;
import io.kiam.agent.client.PodRole;
import io.kiam.agent.client.ServerClient;
import io.kiam.agent.client.ServerFailure;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A hand-written {@link ServerClient} answering from a table, like the server would: unknown IP
 * NO_SUCH_POD, forced failures per IP, or a future the test completes itself ({@link #hold}).
 */
public final class FakeServerClient implements ServerClient {
  static final String ACCOUNT = "210987654321";
  static final String SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY";
  static final String SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN==";
  static final long LAST_UPDATED = 1_767_366_245L; // 2026-01-02T15:04:05Z
  static final long EXPIRATION = LAST_UPDATED + 3600;

  private record Pod(String namespace, String name, String role) {}

  private final Map<String, Pod> pods = new ConcurrentHashMap<>();
  private final Map<String, ServerFailure> failures = new ConcurrentHashMap<>();
  private final Map<String, ServerFailure> credentialFailures = new ConcurrentHashMap<>();
  private final List<String> calls = new CopyOnWriteArrayList<>();
  private volatile CompletableFuture<?> held;
  private volatile boolean healthy = true;

  public FakeServerClient pod(String ip, String namespace, String name, String role) {
    pods.put(ip, new Pod(namespace, name, role));
    return this;
  }

  public FakeServerClient fail(String ip, ServerFailure.Kind kind, String explanation) {
    failures.put(ip, new ServerFailure(kind, explanation));
    return this;
  }

  public FakeServerClient failCredentials(String ip, ServerFailure.Kind kind, String explanation) {
    credentialFailures.put(ip, new ServerFailure(kind, explanation));
    return this;
  }

  /** The next call returns a future that only the test completes (or nobody, for timeouts). */
  public FakeServerClient hold(CompletableFuture<?> future) {
    held = future;
    return this;
  }

  public FakeServerClient healthy(boolean value) {
    healthy = value;
    return this;
  }

  public List<String> calls() {
    return calls;
  }

  @Override
  @SuppressWarnings("unchecked")
  public CompletableFuture<PodRole> podRole(String ip) {
    calls.add("podRole " + ip);
    CompletableFuture<?> h = held;
    if (h != null) {
      held = null;
      return (CompletableFuture<PodRole>) h;
    }
    ServerFailure failure = failures.get(ip);
    if (failure != null) {
      return CompletableFuture.failedFuture(failure);
    }
    Pod pod = pods.get(ip);
    if (pod == null) {
      return CompletableFuture.failedFuture(
          new ServerFailure(ServerFailure.Kind.NO_SUCH_POD, "no pod " + ip));
    }
    if (pod.role() == null) {
      return CompletableFuture.failedFuture(
          new ServerFailure(
              ServerFailure.Kind.NO_ROLE,
              "pod " + pod.namespace() + "/" + pod.name() + " has no role"));
    }
    return CompletableFuture.completedFuture(new PodRole(ref(pod), pod.role(), arn(pod.role())));
  }

  @Override
  public CompletableFuture<PodCredentials> podCredentials(String ip, String role) {
    calls.add("podCredentials " + ip + " " + role);
    ServerFailure failure = credentialFailures.get(ip);
    if (failure != null) {
      return CompletableFuture.failedFuture(failure);
    }
    Pod pod = pods.get(ip);
    IssuedCredentials credentials =
        new IssuedCredentials(
            "ASIA" + role.toUpperCase().replaceAll("[^A-Z0-9]", ""),
            SECRET,
            SESSION_TOKEN,
            Instant.ofEpochSecond(EXPIRATION),
            Instant.ofEpochSecond(LAST_UPDATED),
            ACCOUNT,
            arn(pod.role()));
    return CompletableFuture.completedFuture(new PodCredentials(ref(pod), credentials));
  }

  @Override
  public CompletableFuture<Boolean> healthy() {
    calls.add("healthy");
    return CompletableFuture.completedFuture(healthy);
  }

  @Override
  public void close() {}

  private static String arn(String role) {
    return role.startsWith("arn:") ? role : "arn:aws:iam::" + ACCOUNT + ":role/" + role;
  }

  private static PodRef ref(Pod pod) {
    return new PodRef(pod.namespace(), pod.name());
  }
}
