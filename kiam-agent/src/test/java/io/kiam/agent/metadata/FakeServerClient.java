package io.kiam.agent.metadata;

import io.grpc.Status;
import io.kiam.agent.client.ServerClient;
import io.kiam.proto.v1.Credentials;
import io.kiam.proto.v1.GetPodCredentialsResponse;
import io.kiam.proto.v1.GetPodRoleResponse;
import io.kiam.proto.v1.PodRef;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A hand-written {@link ServerClient} answering from a table, like the server would: unknown IP
 * NOT_FOUND, forced status codes per IP, or a future the test completes itself ({@link #hold}).
 */
final class FakeServerClient implements ServerClient {
  static final String ACCOUNT = "210987654321";
  static final String SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY";
  static final String SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN==";
  static final long LAST_UPDATED = 1_767_366_245L; // 2026-01-02T15:04:05Z
  static final long EXPIRATION = LAST_UPDATED + 3600;

  private record Pod(String namespace, String name, String role) {}

  private final Map<String, Pod> pods = new ConcurrentHashMap<>();
  private final Map<String, Status> failures = new ConcurrentHashMap<>();
  private final Map<String, Status> credentialFailures = new ConcurrentHashMap<>();
  private final List<String> calls = new CopyOnWriteArrayList<>();
  private volatile CompletableFuture<?> held;
  private volatile boolean healthy = true;

  FakeServerClient pod(String ip, String namespace, String name, String role) {
    pods.put(ip, new Pod(namespace, name, role));
    return this;
  }

  FakeServerClient fail(String ip, Status status) {
    failures.put(ip, status);
    return this;
  }

  FakeServerClient failCredentials(String ip, Status status) {
    credentialFailures.put(ip, status);
    return this;
  }

  /** The next call returns a future that only the test completes (or nobody, for timeouts). */
  FakeServerClient hold(CompletableFuture<?> future) {
    held = future;
    return this;
  }

  FakeServerClient healthy(boolean value) {
    healthy = value;
    return this;
  }

  List<String> calls() {
    return calls;
  }

  @Override
  @SuppressWarnings("unchecked")
  public CompletableFuture<GetPodRoleResponse> podRole(String ip) {
    calls.add("podRole " + ip);
    CompletableFuture<?> h = held;
    if (h != null) {
      held = null;
      return (CompletableFuture<GetPodRoleResponse>) h;
    }
    Status failure = failures.get(ip);
    if (failure != null) {
      return CompletableFuture.failedFuture(failure.asRuntimeException());
    }
    Pod pod = pods.get(ip);
    if (pod == null) {
      return CompletableFuture.failedFuture(
          Status.NOT_FOUND.withDescription("no pod " + ip).asRuntimeException());
    }
    if (pod.role() == null) {
      return CompletableFuture.failedFuture(
          Status.FAILED_PRECONDITION
              .withDescription("pod " + pod.namespace() + "/" + pod.name() + " has no role")
              .asRuntimeException());
    }
    return CompletableFuture.completedFuture(
        GetPodRoleResponse.newBuilder()
            .setRole(pod.role())
            .setRoleArn(arn(pod.role()))
            .setPod(ref(pod))
            .build());
  }

  @Override
  public CompletableFuture<GetPodCredentialsResponse> podCredentials(String ip, String role) {
    calls.add("podCredentials " + ip + " " + role);
    Status failure = credentialFailures.get(ip);
    if (failure != null) {
      return CompletableFuture.failedFuture(failure.asRuntimeException());
    }
    Pod pod = pods.get(ip);
    Credentials credentials =
        Credentials.newBuilder()
            .setAccessKeyId("ASIA" + role.toUpperCase().replaceAll("[^A-Z0-9]", ""))
            .setSecretAccessKey(SECRET)
            .setSessionToken(SESSION_TOKEN)
            .setLastUpdatedEpochSeconds(LAST_UPDATED)
            .setExpirationEpochSeconds(EXPIRATION)
            .setAccountId(ACCOUNT)
            .setRoleArn(arn(pod.role()))
            .build();
    return CompletableFuture.completedFuture(
        GetPodCredentialsResponse.newBuilder()
            .setCredentials(credentials)
            .setPod(ref(pod))
            .build());
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
    return PodRef.newBuilder().setNamespace(pod.namespace()).setName(pod.name()).build();
  }
}
