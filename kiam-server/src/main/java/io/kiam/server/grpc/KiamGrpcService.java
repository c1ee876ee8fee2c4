package io.kiam.server.grpc;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.kiam.proto.v1.Credentials;
import io.kiam.proto.v1.GetHealthRequest;
import io.kiam.proto.v1.GetHealthResponse;
import io.kiam.proto.v1.GetPodCredentialsRequest;
import io.kiam.proto.v1.GetPodCredentialsResponse;
import io.kiam.proto.v1.GetPodRoleRequest;
import io.kiam.proto.v1.GetPodRoleResponse;
import io.kiam.proto.v1.KiamServiceGrpc;
import io.kiam.proto.v1.PodRef;
import io.kiam.server.events.EventReason;
import io.kiam.server.events.PodEvents;
import io.kiam.server.k8s.IpAddresses;
import io.kiam.server.k8s.NamespaceFinder;
import io.kiam.server.k8s.PodFinder;
import io.kiam.server.k8s.PodInfo;
import io.kiam.server.k8s.PodLookup;
import io.kiam.server.k8s.StaleViewException;
import io.kiam.server.policy.Decision;
import io.kiam.server.policy.RolePolicy;
import io.kiam.server.roles.PodRoleRequests;
import io.kiam.server.sts.CredentialsSource;
import io.kiam.server.sts.IssuedCredentials;
import io.kiam.server.sts.StsFailure;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
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

  private final PodFinder pods;
  private final NamespaceFinder namespaces;
  private final PodRoleRequests roleRequests;
  private final CredentialsSource credentials;
  private final PodEvents events;
  private final BooleanSupplier ready;
  private final Duration podWait;
  private final GrpcMetrics metrics;

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
    this.pods = pods;
    this.namespaces = namespaces;
    this.roleRequests = roleRequests;
    this.credentials = credentials;
    this.events = events;
    this.ready = ready;
    this.podWait = podWait;
    this.metrics = metrics;
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
    try {
      ip = checkedIp(request.getIp());
      String role = checkedRole(request.getRole());
      String canonicalIp = ip;
      answer =
          pods.awaitByIp(ip, podWait)
              .thenCompose(lookup -> credentialsFor(canonicalIp, role, lookup));
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
        .setPod(ref(pod))
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
              logIssued(ip, pod, allowed, issued);
              return GetPodCredentialsResponse.newBuilder()
                  .setCredentials(toProto(issued))
                  .setPod(ref(pod))
                  .build();
            });
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
    if (cause instanceof StaleViewException stale) {
      return Status.UNAVAILABLE.withDescription(stale.getMessage());
    }
    if (cause instanceof StsFailure sts) {
      return switch (sts.kind()) {
        case ACCESS_DENIED ->
            Status.PERMISSION_DENIED.withDescription("STS refused: " + sts.getMessage());
        case INVALID ->
            Status.FAILED_PRECONDITION.withDescription(
                "STS rejected the request: " + sts.getMessage());
        case UNAVAILABLE ->
            Status.UNAVAILABLE.withDescription("STS is unavailable: " + sts.getMessage());
      };
    }
    if (cause instanceof CancellationException) {
      return Status.CANCELLED.withDescription("the call was cancelled");
    }
    return Status.INTERNAL.withDescription("internal error; see the server's log");
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
            observer.onError(status.asRuntimeException());
          } else {
            observer.onNext(value);
            observer.onCompleted();
          }
        });
  }

  private void logIssued(
      String ip, PodInfo pod, Decision.Allowed allowed, IssuedCredentials issued) {
    log.atInfo()
        .addKeyValue("pod.namespace", pod.namespace())
        .addKeyValue("pod.name", pod.name())
        .addKeyValue("pod.ip", ip)
        .addKeyValue("pod.iam.role", allowed.role())
        .addKeyValue("pod.iam.role_arn", allowed.roleArn())
        .addKeyValue("credentials.access.key", issued.accessKeyId())
        .addKeyValue("credentials.expiration", issued.expiration())
        .log("credentials issued");
  }

  private static void logRefusal(String ip, String requestedRole, Throwable failure) {
    Throwable cause = unwrap(failure);
    PodInfo pod = cause instanceof Refusal refusal ? refusal.pod : null;
    Status status = toStatus(cause);
    if (status.getCode() == Status.Code.CANCELLED) {
      return;
    }
    var line = log.atInfo();
    if (pod != null) {
      line = line.addKeyValue("pod.namespace", pod.namespace()).addKeyValue("pod.name", pod.name());
    }
    line.addKeyValue("pod.ip", clip(ip))
        .addKeyValue(
            "pod.iam.role", pod != null && pod.hasRole() ? pod.role() : clip(requestedRole))
        .addKeyValue("grpc.code", status.getCode())
        .addKeyValue("reason", status.getDescription())
        .log("credentials refused");
  }

  /** Request fields are the agent's input: keep a malformed one from flooding the log. */
  private static String clip(String text) {
    return text == null || text.length() <= 128 ? text : text.substring(0, 128) + "...";
  }

  private static Credentials toProto(IssuedCredentials issued) {
    return Credentials.newBuilder()
        .setAccessKeyId(issued.accessKeyId())
        .setSecretAccessKey(issued.secretAccessKey())
        .setSessionToken(issued.sessionToken())
        .setExpirationEpochSeconds(issued.expiration().getEpochSecond())
        .setLastUpdatedEpochSeconds(issued.lastUpdated().getEpochSecond())
        .setAccountId(issued.accountId())
        .setRoleArn(issued.roleArn())
        .build();
  }

  private static PodRef ref(PodInfo pod) {
    return PodRef.newBuilder().setNamespace(pod.namespace()).setName(pod.name()).build();
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
