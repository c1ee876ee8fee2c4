package io.kiam.server.grpc;

import static io.kiam.server.grpc.GrpcStatuses.respond;
import static io.kiam.server.grpc.GrpcStatuses.stsFailure;
import static io.kiam.server.grpc.GrpcStatuses.toStatus;
import static io.kiam.server.grpc.GrpcStatuses.unwrap;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.kiam.proto.v1.GetHealthRequest;
import io.kiam.proto.v1.GetHealthResponse;
import io.kiam.proto.v1.GetPodCredentialsRequest;
import io.kiam.proto.v1.GetPodCredentialsResponse;
import io.kiam.proto.v1.GetPodRoleRequest;
import io.kiam.proto.v1.GetPodRoleResponse;
import io.kiam.proto.v1.KiamServiceGrpc;
import io.kiam.proto.v1.NodeEvent;
import io.kiam.proto.v1.RefusalCode;
import io.kiam.proto.v1.WatchNodeRequest;
import io.kiam.server.k8s.IpAddresses;
import io.kiam.server.k8s.PodFinder;
import io.kiam.server.k8s.PodInfo;
import io.kiam.server.k8s.PodLookup;
import io.kiam.server.nodes.NodeStreams;
import io.kiam.server.policy.Decision;
import io.kiam.server.roles.DecisionLog;
import io.kiam.server.roles.PodRoles;
import io.kiam.server.sts.CredentialsSource;
import io.kiam.server.sts.StsFailure;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * The agents' gRPC API, a thin adapter: checks the request, finds the pod behind the IP, asks
 * {@link PodRoles} for the decision and the credential cache for credentials, and turns the answer
 * into protobuf and failures into status codes ({@link GrpcStatuses}, see kiam.proto).
 */
public final class KiamGrpcService extends KiamServiceGrpc.KiamServiceImplBase {
  private final PodFinder pods;
  private final PodRoles roles;
  private final CredentialsSource credentials;
  private final BooleanSupplier ready;
  private final Duration podWait;
  private final GrpcMetrics metrics;
  private final DecisionLog decisions;
  private final NodeWatch nodeWatch;

  /**
   * @param ready whether the pod and namespace caches have synced
   * @param podWait how long a request for an unknown IP waits for the watch to deliver its pod
   */
  public KiamGrpcService(
      PodFinder pods,
      PodRoles roles,
      CredentialsSource credentials,
      BooleanSupplier ready,
      Duration podWait,
      GrpcMetrics metrics) {
    this(pods, roles, credentials, ready, podWait, metrics, new DecisionLog(), null, null);
  }

  /**
   * @param nodeStreams the WatchNode engine, or null to answer WatchNode with UNIMPLEMENTED
   * @param heartbeats where the streams' heartbeats are timed (with nodeStreams)
   */
  public KiamGrpcService(
      PodFinder pods,
      PodRoles roles,
      CredentialsSource credentials,
      BooleanSupplier ready,
      Duration podWait,
      GrpcMetrics metrics,
      DecisionLog decisions,
      NodeStreams nodeStreams,
      ScheduledExecutorService heartbeats) {
    this.pods = pods;
    this.roles = roles;
    this.credentials = credentials;
    this.ready = ready;
    this.podWait = podWait;
    this.metrics = metrics;
    this.decisions = decisions;
    this.nodeWatch = nodeStreams == null ? null : new NodeWatch(nodeStreams, heartbeats, ready);
  }

  @Override
  public void getPodRole(GetPodRoleRequest request, StreamObserver<GetPodRoleResponse> observer) {
    CompletableFuture<GetPodRoleResponse> answer;
    try {
      String ip = checkedIp(request.getIp());
      answer = pods.awaitByIp(ip, podWait).thenApply(lookup -> roleOf(ip, lookup));
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    respond(answer, observer);
  }

  @Override
  public void getPodCredentials(
      GetPodCredentialsRequest request, StreamObserver<GetPodCredentialsResponse> observer) {
    CompletableFuture<GetPodCredentialsResponse> answer;
    String ip = request.getIp();
    boolean inResponse = request.getDecisionInResponse();
    try {
      ip = checkedIp(request.getIp());
      String role =
          inResponse && request.getRole().isEmpty()
              ? ""
              : AgentInput.checkedRole(request.getRole());
      String canonicalIp = ip;
      // Once the pod is looked up, an answer still pending waits only on STS.
      AtomicBoolean decided = new AtomicBoolean();
      answer =
          StsPending.beforeDeadline(
              pods.awaitByIp(ip, podWait)
                  .thenCompose(
                      lookup -> {
                        decided.set(true);
                        return inResponse
                            ? decisionAndCredentials(canonicalIp, role, lookup)
                            : credentialsFor(canonicalIp, role, lookup);
                      }),
              Context.current().getDeadline(),
              decided::get);
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    String loggedIp = ip;
    answer =
        answer.whenComplete(
            (ok, failure) -> {
              if (failure != null) {
                logRefusal(loggedIp, request.getRole(), failure);
              }
            });
    respond(answer, observer);
  }

  @Override
  public void watchNode(WatchNodeRequest request, StreamObserver<NodeEvent> observer) {
    if (nodeWatch == null) {
      super.watchNode(request, observer);
      return;
    }
    nodeWatch.watch(request, observer);
  }

  @Override
  public void getHealth(GetHealthRequest request, StreamObserver<GetHealthResponse> observer) {
    boolean serving = ready.getAsBoolean();
    observer.onNext(
        GetHealthResponse.newBuilder()
            .setServing(serving)
            .setMessage(serving ? "serving" : "pod and namespace caches have not synced yet")
            .build());
    observer.onCompleted();
  }

  private GetPodRoleResponse roleOf(String ip, PodLookup lookup) {
    PodInfo pod = ownerOf(ip, lookup);
    String arn;
    try {
      arn = roles.arnOf(pod);
    } catch (IllegalArgumentException e) {
      throw new Refusal(Status.FAILED_PRECONDITION, e.getMessage());
    }
    return GetPodRoleResponse.newBuilder()
        .setRole(pod.role())
        .setRoleArn(arn)
        .setPod(WireMessages.ref(pod))
        .build();
  }

  private CompletableFuture<GetPodCredentialsResponse> credentialsFor(
      String ip, String role, PodLookup lookup) {
    if (!(lookup instanceof PodLookup.Found)) {
      metrics.decision(lookup instanceof PodLookup.NotFound ? "not_found" : "ip_conflict");
    }
    PodInfo pod = ownerOf(ip, lookup);
    Decision decision = roles.decide(pod, role);
    metrics.decision(decision.outcome());
    if (decision instanceof Decision.Allowed allowed) {
      return issue(ip, pod, allowed);
    }
    roles.recordRefusal(pod, decision);
    Status status =
        decision instanceof Decision.Forbidden
            ? Status.PERMISSION_DENIED
            : decision instanceof Decision.NoRole
                ? Status.FAILED_PRECONDITION
                : Status.INVALID_ARGUMENT;
    throw new Refusal(status, decision.explanation(), pod);
  }

  private CompletableFuture<GetPodCredentialsResponse> issue(
      String ip, PodInfo pod, Decision.Allowed allowed) {
    return credentials
        .credentials(roles.request(pod, allowed))
        .handle(
            (issued, failure) -> {
              if (failure != null) {
                Throwable cause = unwrap(failure);
                if (cause instanceof StsFailure) {
                  roles.recordCredentialFailure(pod, allowed.role(), cause);
                }
                throw new Refusal(toStatus(cause), pod, cause);
              }
              decisions.issued(pod, ip, allowed, issued);
              return GetPodCredentialsResponse.newBuilder()
                  .setCredentials(WireMessages.credentials(issued))
                  .setPod(WireMessages.ref(pod))
                  .setPodUid(pod.uid())
                  .setDecision(WireMessages.permitted(allowed))
                  .build();
            });
  }

  /** The cold path's one call: the decision for the pod behind the IP, and its credentials. */
  private CompletableFuture<GetPodCredentialsResponse> decisionAndCredentials(
      String ip, String role, PodLookup lookup) {
    if (lookup instanceof PodLookup.Ambiguous ambiguous) {
      metrics.decision("ip_conflict");
      roles.recordConflict(ambiguous);
      decisions.refused(null, ip, role, "ip_conflict", ambiguous.explanation());
      return CompletableFuture.completedFuture(
          GetPodCredentialsResponse.newBuilder()
              .setDecision(
                  WireMessages.refused(
                      RefusalCode.REFUSAL_CODE_IP_CONFLICT, ambiguous.explanation(), null))
              .build());
    }
    if (!(lookup instanceof PodLookup.Found)) {
      metrics.decision("not_found");
    }
    PodInfo pod = ownerOf(ip, lookup);
    Decision own = roles.decideOwn(pod);
    Decision asked = role.isEmpty() ? own : roles.decide(pod, role);
    metrics.decision(asked.outcome());
    if (asked instanceof Decision.Allowed allowed) {
      return issue(ip, pod, allowed);
    }
    // Refused: for the pod's own reason when it has one, else because it asked for another role.
    Decision shown = own instanceof Decision.Allowed ? asked : own;
    RefusalCode code =
        own instanceof Decision.Allowed
            ? RefusalCode.REFUSAL_CODE_ROLE_MISMATCH
            : WireMessages.code(own);
    roles.recordRefusal(pod, shown);
    decisions.refused(pod, ip, shown);
    return CompletableFuture.completedFuture(
        GetPodCredentialsResponse.newBuilder()
            .setPod(WireMessages.ref(pod))
            .setPodUid(pod.uid())
            .setDecision(WireMessages.refused(code, shown.explanation(), pod))
            .build());
  }

  private PodInfo ownerOf(String ip, PodLookup lookup) {
    if (lookup instanceof PodLookup.Found found) {
      return found.pod();
    }
    if (lookup instanceof PodLookup.Ambiguous ambiguous) {
      roles.recordConflict(ambiguous);
      throw new Refusal(Status.FAILED_PRECONDITION, ambiguous.explanation());
    }
    throw new Refusal(Status.NOT_FOUND, "no live pod has IP " + ip);
  }

  private String checkedIp(String ip) {
    if (!ready.getAsBoolean()) {
      throw new Refusal(
          Status.UNAVAILABLE, "the server's pod and namespace caches have not synced yet");
    }
    try {
      return IpAddresses.canonical(ip);
    } catch (IllegalArgumentException e) {
      throw new Refusal(Status.INVALID_ARGUMENT, e.getMessage());
    }
  }

  private void logRefusal(String ip, String requestedRole, Throwable failure) {
    Throwable cause = unwrap(failure);
    PodInfo pod = cause instanceof Refusal refusal ? refusal.pod : null;
    Status status = toStatus(cause);
    if (status.getCode() == Status.Code.CANCELLED) {
      return;
    }
    decisions.refused(
        pod,
        AgentInput.clip(ip),
        pod != null && pod.hasRole() ? pod.role() : AgentInput.clip(requestedRole),
        status.getCode().name(),
        // The pod got the short form; operators get STS's own words.
        stsFailure(cause).map(Throwable::getMessage).orElse(status.getDescription()));
  }
}
