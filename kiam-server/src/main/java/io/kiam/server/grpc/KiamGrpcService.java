package io.kiam.server.grpc;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
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
import io.kiam.server.events.EventReason;
import io.kiam.server.events.PodEvents;
import io.kiam.server.k8s.IpAddresses;
import io.kiam.server.k8s.NamespaceFinder;
import io.kiam.server.k8s.PodFinder;
import io.kiam.server.k8s.PodInfo;
import io.kiam.server.k8s.PodLookup;
import io.kiam.server.k8s.StaleViewException;
import io.kiam.server.nodes.NodeStreams;
import io.kiam.server.policy.Decision;
import io.kiam.server.policy.DecisionLog;
import io.kiam.server.policy.RolePolicy;
import io.kiam.server.roles.PodRoleRequests;
import io.kiam.server.sts.CredentialsSource;
import io.kiam.server.sts.StsFailure;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agents' gRPC API: finds the pod behind an IP, applies the role policy and answers from the
 * credential cache. The one place where failures become gRPC status codes (see kiam.proto); status
 * descriptions never carry secrets.
 */
public final class KiamGrpcService extends KiamServiceGrpc.KiamServiceImplBase {
  private static final Logger log = LoggerFactory.getLogger(KiamGrpcService.class);
  private static final int MAX_ROLE_LENGTH = 2048;
  private static final int MAX_NODE_NAME_LENGTH = 253;
  private static final long DEFAULT_HEARTBEAT_MILLIS = 1000;
  private static final long MIN_HEARTBEAT_MILLIS = 200;
  private static final long MAX_HEARTBEAT_MILLIS = 60_000;

  private final PodFinder pods;
  private final NamespaceFinder namespaces;
  private final PodRoleRequests roleRequests;
  private final CredentialsSource credentials;
  private final PodEvents events;
  private final BooleanSupplier ready;
  private final Duration podWait;
  private final GrpcMetrics metrics;
  private final DecisionLog decisions;
  private final NodeStreams nodeStreams;
  private final ScheduledExecutorService heartbeats;

  /**
   * @param ready whether the pod and namespace caches have synced
   * @param podWait how long a request for an unknown IP waits for the watch to deliver its pod
   */
  public KiamGrpcService(
      PodFinder pods,
      NamespaceFinder namespaces,
      PodRoleRequests roleRequests,
      CredentialsSource credentials,
      PodEvents events,
      BooleanSupplier ready,
      Duration podWait,
      GrpcMetrics metrics) {
    this(
        pods,
        namespaces,
        roleRequests,
        credentials,
        events,
        ready,
        podWait,
        metrics,
        new DecisionLog(),
        null,
        null);
  }

  /**
   * @param nodeStreams the WatchNode engine, or null to answer WatchNode with UNIMPLEMENTED
   * @param heartbeats where the streams' heartbeats are timed (with nodeStreams)
   */
  public KiamGrpcService(
      PodFinder pods,
      NamespaceFinder namespaces,
      PodRoleRequests roleRequests,
      CredentialsSource credentials,
      PodEvents events,
      BooleanSupplier ready,
      Duration podWait,
      GrpcMetrics metrics,
      DecisionLog decisions,
      NodeStreams nodeStreams,
      ScheduledExecutorService heartbeats) {
    this.pods = pods;
    this.namespaces = namespaces;
    this.roleRequests = roleRequests;
    this.credentials = credentials;
    this.events = events;
    this.ready = ready;
    this.podWait = podWait;
    this.metrics = metrics;
    this.decisions = decisions;
    this.nodeStreams = nodeStreams;
    this.heartbeats = heartbeats;
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
      String role = inResponse && request.getRole().isEmpty() ? "" : checkedRole(request.getRole());
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
    if (nodeStreams == null) {
      super.watchNode(request, observer);
      return;
    }
    if (!ready.getAsBoolean()) {
      observer.onError(
          Status.UNAVAILABLE
              .withDescription("the server's pod and namespace caches have not synced yet")
              .asRuntimeException());
      return;
    }
    String node = request.getNodeName();
    if (node.isBlank() || node.length() > MAX_NODE_NAME_LENGTH) {
      observer.onError(
          Status.INVALID_ARGUMENT
              .withDescription("the node name is empty or longer than 253 characters")
              .asRuntimeException());
      return;
    }
    ServerCallStreamObserver<NodeEvent> call = (ServerCallStreamObserver<NodeEvent>) observer;
    NodeStreamCall stream = new NodeStreamCall(node, call, NodeStreamCall.MAX_PENDING);
    call.setOnReadyHandler(stream::drain);
    call.setOnCancelHandler(stream::cancelled);
    long every = heartbeatMillis(request.getHeartbeatIntervalMillis());
    ScheduledFuture<?> beats =
        heartbeats.scheduleAtFixedRate(stream::heartbeat, every, every, TimeUnit.MILLISECONDS);
    NodeStreams.Subscription subscription = nodeStreams.subscribe(node, stream);
    stream.onEnd(
        () -> {
          beats.cancel(false);
          subscription.close();
          log.atDebug().addKeyValue("node", node).log("node stream ended");
        });
    log.atDebug()
        .addKeyValue("node", node)
        .addKeyValue("heartbeat.ms", every)
        .log("node stream opened");
  }

  /** The requested heartbeat interval, defaulted and clamped (see kiam.proto). */
  static long heartbeatMillis(int requested) {
    if (requested <= 0) {
      return DEFAULT_HEARTBEAT_MILLIS;
    }
    return Math.max(MIN_HEARTBEAT_MILLIS, Math.min(MAX_HEARTBEAT_MILLIS, requested));
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
    if (!pod.hasRole()) {
      throw new Refusal(
          Status.FAILED_PRECONDITION,
          "pod '" + pod.qualifiedName() + "' has no iam.amazonaws.com/role annotation");
    }
    String arn;
    try {
      arn = roleRequests.resolver().resolve(pod.role().trim());
    } catch (IllegalArgumentException e) {
      throw new Refusal(
          Status.FAILED_PRECONDITION,
          "pod '"
              + pod.qualifiedName()
              + "' has a role annotation that is not a role: "
              + e.getMessage());
    }
    return GetPodRoleResponse.newBuilder()
        .setRole(pod.role().trim())
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
    Decision decision =
        RolePolicy.decide(
            pod, namespaces.findNamespace(pod.namespace()), role, roleRequests.resolver());
    metrics.decision(decision.outcome());
    if (decision instanceof Decision.Allowed allowed) {
      return issue(ip, pod, allowed);
    }
    if (decision instanceof Decision.Forbidden) {
      events.record(pod, EventReason.ROLE_FORBIDDEN, decision.explanation());
      throw new Refusal(Status.PERMISSION_DENIED, decision.explanation(), pod);
    }
    if (decision instanceof Decision.NoRole) {
      events.record(pod, EventReason.ROLE_NOT_ANNOTATED, decision.explanation());
      throw new Refusal(Status.FAILED_PRECONDITION, decision.explanation(), pod);
    }
    throw new Refusal(Status.INVALID_ARGUMENT, decision.explanation(), pod);
  }

  private CompletableFuture<GetPodCredentialsResponse> issue(
      String ip, PodInfo pod, Decision.Allowed allowed) {
    return credentials
        .credentials(roleRequests.forPod(pod, allowed.roleArn()))
        .handle(
            (issued, failure) -> {
              if (failure != null) {
                Throwable cause = unwrap(failure);
                if (cause instanceof StsFailure sts) {
                  events.record(
                      pod,
                      EventReason.CREDENTIAL_ERROR,
                      "cannot get credentials for role '"
                          + allowed.role()
                          + "': "
                          + sts.getMessage());
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
      ambiguous
          .pods()
          .forEach(p -> events.record(p, EventReason.IP_CONFLICT, ambiguous.explanation()));
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
    var namespace = namespaces.findNamespace(pod.namespace());
    Decision own =
        RolePolicy.decide(
            pod, namespace, pod.hasRole() ? pod.role().trim() : "", roleRequests.resolver());
    Decision asked =
        role.isEmpty() ? own : RolePolicy.decide(pod, namespace, role, roleRequests.resolver());
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
    if (shown instanceof Decision.Forbidden) {
      events.record(pod, EventReason.ROLE_FORBIDDEN, shown.explanation());
    } else if (shown instanceof Decision.NoRole) {
      events.record(pod, EventReason.ROLE_NOT_ANNOTATED, shown.explanation());
    }
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
      ambiguous
          .pods()
          .forEach(p -> events.record(p, EventReason.IP_CONFLICT, ambiguous.explanation()));
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

  private static String checkedRole(String role) {
    if (role.isBlank()) {
      throw new Refusal(Status.INVALID_ARGUMENT, "the requested role is empty");
    }
    if (role.length() > MAX_ROLE_LENGTH || role.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
      throw new Refusal(
          Status.INVALID_ARGUMENT,
          "the requested role is malformed (too long, or has spaces or control characters)");
    }
    return role;
  }

  /** The single mapping from failures to status codes. */
  private static Status toStatus(Throwable failure) {
    Throwable cause = unwrap(failure);
    if (cause instanceof Refusal refusal) {
      return refusal.status;
    }
    if (cause instanceof StsPending pending) {
      return pending.status();
    }
    if (cause instanceof StaleViewException stale) {
      return Status.UNAVAILABLE.withDescription(stale.getMessage());
    }
    if (cause instanceof StsFailure sts) {
      return stsStatus(sts);
    }
    if (cause instanceof CancellationException) {
      return Status.CANCELLED.withDescription("the call was cancelled");
    }
    return Status.INTERNAL.withDescription("internal error; see the server's log");
  }

  /**
   * What the pod learns of an STS failure: the decision and what its owner can do, never STS's own
   * message, which names kiam-server's principal and account ("User: arn:aws:sts::...:assumed-role/
   * ..."). The full message goes to the server's log and the pod's Event.
   */
  private static Status stsStatus(StsFailure sts) {
    String code = sts.errorCode().map(c -> " (" + c + ")").orElse("");
    String details = "; the pod's Events and kiam-server's log have STS's full answer";
    return switch (sts.kind()) {
      case ACCESS_DENIED ->
          Status.PERMISSION_DENIED.withDescription(
              "STS refused to issue the pod's role"
                  + code
                  + ": "
                  + sts.advice()
                      .orElse("the role's trust policy must allow kiam-server to assume it")
                  + details);
      case INVALID ->
          Status.FAILED_PRECONDITION.withDescription(
              "STS rejected the request for the pod's role"
                  + code
                  + ": check the role's maximum session duration and the STS region"
                  + details);
      case UNAVAILABLE ->
          Status.UNAVAILABLE.withDescription(
              "STS is unavailable" + code + "; the SDK's next try may succeed");
    };
  }

  private static Optional<StsFailure> stsFailure(Throwable cause) {
    if (cause instanceof StsFailure sts) {
      return Optional.of(sts);
    }
    return cause != null && cause.getCause() instanceof StsFailure sts
        ? Optional.of(sts)
        : Optional.empty();
  }

  private static Throwable unwrap(Throwable failure) {
    Throwable cause = failure;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  private static <T> void respond(CompletableFuture<T> answer, StreamObserver<T> observer) {
    if (observer instanceof ServerCallStreamObserver<T> call) {
      // The agent gave up: stop waiting for the pod; the shared STS call is not ours to cancel.
      call.setOnCancelHandler(() -> answer.cancel(false));
    }
    answer.whenComplete(
        (value, failure) -> {
          if (observer instanceof ServerCallStreamObserver<T> call && call.isCancelled()) {
            return;
          }
          if (failure != null) {
            Status status = toStatus(failure);
            if (status.getCode() == Status.Code.INTERNAL) {
              log.error("unexpected failure answering an agent", unwrap(failure));
            }
            Throwable cause = unwrap(failure);
            observer.onError(
                cause instanceof StsPending pending
                    ? status.asRuntimeException(pending.pendingTrailers())
                    : StsPending.onSts(cause)
                        ? status.asRuntimeException(StsPending.trailers())
                        : status.asRuntimeException());
          } else {
            observer.onNext(value);
            observer.onCompleted();
          }
        });
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
        clip(ip),
        pod != null && pod.hasRole() ? pod.role() : clip(requestedRole),
        status.getCode().name(),
        // The pod got the short form; operators get STS's own words.
        stsFailure(cause).map(Throwable::getMessage).orElse(status.getDescription()));
  }

  /** Request fields are the agent's input: keep a malformed one from flooding the log. */
  private static String clip(String text) {
    return text == null || text.length() <= 128 ? text : text.substring(0, 128) + "...";
  }

  /** A refusal decided in this class, carrying its status (and the pod, for the log line). */
  private static final class Refusal extends RuntimeException {
    private final Status status;
    private final transient PodInfo pod;

    Refusal(Status status, String description) {
      this(status, description, null);
    }

    Refusal(Status status, String description, PodInfo pod) {
      super(description, null, false, false);
      this.status = status.withDescription(description);
      this.pod = pod;
    }

    Refusal(Status status, PodInfo pod, Throwable cause) {
      super(status.getDescription(), cause, false, false);
      this.status = status;
      this.pod = pod;
    }
  }
}
