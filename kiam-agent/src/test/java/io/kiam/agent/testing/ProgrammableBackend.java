package io.kiam.agent.testing;

import io.grpc.Status;
import io.kiam.proto.v1.Credentials;
import io.kiam.proto.v1.GetHealthResponse;
import io.kiam.proto.v1.GetPodCredentialsResponse;
import io.kiam.proto.v1.GetPodRoleResponse;
import io.kiam.proto.v1.PodRef;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link FakeKiamServer.Backend} that answers like the real server from a table the test fills:
 * pods by IP with their role annotation, and failures forced per IP or for every call.
 *
 * <p>Unknown IP: NOT_FOUND; pod without a role: FAILED_PRECONDITION; a role other than the pod's:
 * PERMISSION_DENIED with an explanation; otherwise credentials made up for the role, valid for an
 * hour, with {@link #ACCOUNT} as the account.
 */
public final class ProgrammableBackend implements FakeKiamServer.Backend {
  public static final String ACCOUNT = "123456789012";

  private record Pod(String namespace, String name, String role) {}

  private record Failure(Status.Code code, String description) {}

  private final Map<String, Pod> pods = new ConcurrentHashMap<>();
  private final Map<String, Failure> failures = new ConcurrentHashMap<>();
  private volatile Failure failAll;
  private volatile Duration delay = Duration.ZERO;
  private volatile boolean serving = true;

  /** A running pod with this IP annotated with {@code role} (null: no annotation). */
  public ProgrammableBackend pod(String ip, String namespace, String name, String role) {
    pods.put(ip, new Pod(namespace, name, role));
    return this;
  }

  /** The pod with this IP is gone. */
  public ProgrammableBackend removePod(String ip) {
    pods.remove(ip);
    return this;
  }

  /** Every call about this IP fails with {@code code}. */
  public ProgrammableBackend fail(String ip, Status.Code code, String description) {
    failures.put(ip, new Failure(code, description));
    return this;
  }

  /** Every call (but health) fails with {@code code}; null to stop. */
  public ProgrammableBackend failAll(Status.Code code) {
    failAll = code == null ? null : new Failure(code, "forced by test: " + code);
    return this;
  }

  /** Answers only after {@code d}. */
  public ProgrammableBackend delay(Duration d) {
    delay = d;
    return this;
  }

  /** What GetHealth reports. */
  public ProgrammableBackend serving(boolean value) {
    serving = value;
    return this;
  }

  @Override
  public Duration delay() {
    return delay;
  }

  @Override
  public GetHealthResponse health() {
    return GetHealthResponse.newBuilder()
        .setServing(serving)
        .setMessage(serving ? "caches synced" : "caches not synced yet")
        .build();
  }

  @Override
  public GetPodRoleResponse podRole(String ip) {
    Pod pod = findPod(ip);
    return GetPodRoleResponse.newBuilder()
        .setRole(pod.role())
        .setRoleArn(arn(pod.role()))
        .setPod(ref(pod))
        .build();
  }

  @Override
  public GetPodCredentialsResponse podCredentials(String ip, String role) {
    Pod pod = findPod(ip);
    if (!pod.role().equals(role)) {
      throw Status.PERMISSION_DENIED
          .withDescription(
              "pod "
                  + pod.namespace()
                  + "/"
                  + pod.name()
                  + " is annotated with '"
                  + pod.role()
                  + "'; it asks for '"
                  + role
                  + "'")
          .asRuntimeException();
    }
    Instant now = Instant.now();
    Credentials credentials =
        Credentials.newBuilder()
            .setAccessKeyId("ASIA" + Integer.toHexString(role.hashCode()).toUpperCase())
            .setSecretAccessKey("secret-for-" + role)
            .setSessionToken("token-for-" + role)
            .setExpirationEpochSeconds(now.plus(Duration.ofHours(1)).getEpochSecond())
            .setLastUpdatedEpochSeconds(now.getEpochSecond())
            .setAccountId(ACCOUNT)
            .setRoleArn(arn(role))
            .build();
    return GetPodCredentialsResponse.newBuilder()
        .setCredentials(credentials)
        .setPod(ref(pod))
        .build();
  }

  private Pod findPod(String ip) {
    Failure failure = failAll != null ? failAll : failures.get(ip);
    if (failure != null) {
      throw Status.fromCode(failure.code())
          .withDescription(failure.description())
          .asRuntimeException();
    }
    Pod pod = pods.get(ip);
    if (pod == null) {
      throw Status.NOT_FOUND.withDescription("no pod with IP " + ip).asRuntimeException();
    }
    if (pod.role() == null) {
      throw Status.FAILED_PRECONDITION
          .withDescription(
              "pod "
                  + pod.namespace()
                  + "/"
                  + pod.name()
                  + " has no iam.amazonaws.com/role annotation")
          .asRuntimeException();
    }
    return pod;
  }

  private static String arn(String role) {
    return role.startsWith("arn:") ? role : "arn:aws:iam::" + ACCOUNT + ":role/" + role;
  }

  private static PodRef ref(Pod pod) {
    return PodRef.newBuilder().setNamespace(pod.namespace()).setName(pod.name()).build();
  }
}
