package io.kiam.agent.client;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.kiam.agent.testing.FakeKiamServer;
import io.kiam.proto.v1.Credentials;
import io.kiam.proto.v1.GetPodCredentialsRequest;
import io.kiam.proto.v1.GetPodCredentialsResponse;
import io.kiam.proto.v1.GetPodRoleResponse;
import io.kiam.proto.v1.Heartbeat;
import io.kiam.proto.v1.IpAssignment;
import io.kiam.proto.v1.IpRemoved;
import io.kiam.proto.v1.NodeEvent;
import io.kiam.proto.v1.PodDecision;
import io.kiam.proto.v1.PodRef;
import io.kiam.proto.v1.RefusalCode;
import io.kiam.proto.v1.RolePermitted;
import io.kiam.proto.v1.RoleRefused;
import io.kiam.proto.v1.SnapshotComplete;
import io.kiam.proto.v1.WatchNodeRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A server backend with a node stream, as the new kiam-server answers: pods by IP (permitted with
 * credentials, or refused), streamed as a snapshot then changes, heartbeats every interval the
 * agent asks for, and the cold path's GetPodCredentials with the decision. {@link #silence()} stops
 * every message while keeping the connection, as a blackholed server would look.
 */
final class NodeBackend implements FakeKiamServer.Backend, AutoCloseable {
  static final String ACCOUNT = "123456789012";

  private final Map<String, IpAssignment> pods = new ConcurrentHashMap<>();
  private final List<StreamObserver<NodeEvent>> watchers = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService heartbeats =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "node-backend-heartbeat");
            t.setDaemon(true);
            return t;
          });
  private volatile boolean silent;

  /** A pod annotated with {@code role} and permitted it, with credentials for an hour. */
  NodeBackend permitted(String ip, String name, String role) {
    return put(
        IpAssignment.newBuilder()
            .setIp(ip)
            .setPodUid("uid-" + name)
            .setPod(PodRef.newBuilder().setNamespace("shop").setName(name))
            .setDecision(
                PodDecision.newBuilder()
                    .setPermitted(
                        RolePermitted.newBuilder()
                            .setRole(role)
                            .setRoleArn(arn(role))
                            .setRoleName(role)))
            .setCredentials(credentials(role))
            .build());
  }

  /** A pod the policy refuses. */
  NodeBackend refused(String ip, String name, String role, String reason) {
    return put(
        IpAssignment.newBuilder()
            .setIp(ip)
            .setPodUid("uid-" + name)
            .setPod(PodRef.newBuilder().setNamespace("shop").setName(name))
            .setDecision(
                PodDecision.newBuilder()
                    .setRefused(
                        RoleRefused.newBuilder()
                            .setCode(RefusalCode.REFUSAL_CODE_FORBIDDEN)
                            .setReason(reason)
                            .setRole(role)))
            .build());
  }

  NodeBackend remove(String ip) {
    IpAssignment gone = pods.remove(ip);
    if (gone != null) {
      send(
          NodeEvent.newBuilder()
              .setRemoved(IpRemoved.newBuilder().setIp(ip).setPodUid(gone.getPodUid()))
              .build());
    }
    return this;
  }

  /** From now on, no message on any stream: the server looks blackholed. */
  void silence() {
    silent = true;
  }

  private NodeBackend put(IpAssignment assignment) {
    pods.put(assignment.getIp(), assignment);
    send(NodeEvent.newBuilder().setAssigned(assignment).build());
    return this;
  }

  private void send(NodeEvent event) {
    if (silent) {
      return;
    }
    for (StreamObserver<NodeEvent> watcher : watchers) {
      synchronized (watcher) {
        try {
          watcher.onNext(event);
        } catch (RuntimeException e) {
          watchers.remove(watcher);
        }
      }
    }
  }

  @Override
  public void watchNode(WatchNodeRequest request, StreamObserver<NodeEvent> out) {
    if (silent) {
      return;
    }
    synchronized (out) {
      for (IpAssignment assignment : pods.values()) {
        out.onNext(NodeEvent.newBuilder().setAssigned(assignment).build());
      }
      out.onNext(
          NodeEvent.newBuilder()
              .setSnapshotComplete(SnapshotComplete.newBuilder().setAssignments(pods.size()))
              .build());
    }
    watchers.add(out);
    ((ServerCallStreamObserver<NodeEvent>) out).setOnCancelHandler(() -> watchers.remove(out));
    long every = Math.max(50, request.getHeartbeatIntervalMillis());
    heartbeats.scheduleWithFixedDelay(
        () -> {
          if (!silent && watchers.contains(out)) {
            synchronized (out) {
              out.onNext(
                  NodeEvent.newBuilder().setHeartbeat(Heartbeat.getDefaultInstance()).build());
            }
          }
        },
        every,
        every,
        TimeUnit.MILLISECONDS);
  }

  @Override
  public GetPodCredentialsResponse podCredentials(GetPodCredentialsRequest request) {
    IpAssignment a = pods.get(request.getIp());
    if (a == null) {
      throw Status.NOT_FOUND
          .withDescription("no pod with IP " + request.getIp())
          .asRuntimeException();
    }
    GetPodCredentialsResponse.Builder answer =
        GetPodCredentialsResponse.newBuilder()
            .setPod(a.getPod())
            .setPodUid(a.getPodUid())
            .setDecision(a.getDecision());
    if (a.hasCredentials()) {
      answer.setCredentials(a.getCredentials());
    }
    return answer.build();
  }

  @Override
  public GetPodRoleResponse podRole(String ip) {
    throw Status.INTERNAL
        .withDescription("a new agent never asks GetPodRole of a new server")
        .asRuntimeException();
  }

  @Override
  public GetPodCredentialsResponse podCredentials(String ip, String role) {
    throw new AssertionError("unused: the request form is overridden");
  }

  @Override
  public void close() {
    heartbeats.shutdownNow();
  }

  static Credentials credentials(String role) {
    Instant now = Instant.now();
    return Credentials.newBuilder()
        .setAccessKeyId("ASIA" + role.toUpperCase().replaceAll("[^A-Z0-9]", ""))
        .setSecretAccessKey("secret-for-" + role)
        .setSessionToken("token-for-" + role)
        .setExpirationEpochSeconds(now.plus(Duration.ofHours(1)).getEpochSecond())
        .setLastUpdatedEpochSeconds(now.getEpochSecond())
        .setAccountId(ACCOUNT)
        .setRoleArn(arn(role))
        .build();
  }

  static String arn(String role) {
    return "arn:aws:iam::" + ACCOUNT + ":role/" + role;
  }
}
