package io.kiam.server.grpc;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.kiam.proto.v1.GetPodCredentialsRequest;
import io.kiam.proto.v1.GetPodRoleRequest;
import io.kiam.proto.v1.KiamServiceGrpc;
import io.kiam.proto.v1.WatchNodeRequest;
import io.kiam.server.identity.TokenReviewer;
import io.kiam.server.k8s.IpAddresses;
import io.kiam.server.k8s.PodFinder;
import io.kiam.server.k8s.PodLookup;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds each agent call to the node the agent runs on ({@code --require-node-identity}): the call
 * carries the agent's projected service-account token, the API server's TokenReview says which node
 * that token's pod runs on, and the agent is then served only that node's stream and the pods
 * scheduled there. A stolen agent certificate, or a compromised node, then yields only the roles of
 * its own node's pods rather than every role in the cluster.
 *
 * <p>The service itself is unchanged: a request for a pod elsewhere is refused before it reaches
 * the service when the pod is known, and its answer is withheld after it when the pod only became
 * known meanwhile (the pod-start wait), so no answer about another node's pod leaves the server.
 */
public final class NodeIdentityInterceptor implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger(NodeIdentityInterceptor.class);

  /** Where the agent puts its token: {@code authorization: Bearer TOKEN}. */
  public static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final TokenReviewer reviewer;
  private final PodFinder pods;

  public NodeIdentityInterceptor(TokenReviewer reviewer, PodFinder pods) {
    this.reviewer = Objects.requireNonNull(reviewer, "reviewer");
    this.pods = Objects.requireNonNull(pods, "pods");
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    if (method.equals(KiamServiceGrpc.getGetHealthMethod().getFullMethodName())) {
      return next.startCall(call, headers); // reveals nothing about pods
    }
    String header = headers.get(AUTHORIZATION);
    if (header == null || !header.startsWith("Bearer ") || header.length() <= 7) {
      return refuse(
          call,
          Status.UNAUTHENTICATED.withDescription(
              "this server requires node identity (--require-node-identity): the agent must send"
                  + " its projected service-account token (--node-identity-token)"),
          method,
          "?");
    }
    String node;
    try {
      node = reviewer.nodeOf(header.substring(7).strip());
    } catch (TokenReviewer.Rejected e) {
      return refuse(
          call,
          Status.UNAUTHENTICATED.withDescription("node identity refused: " + e.getMessage()),
          method,
          "?");
    } catch (RuntimeException e) {
      log.warn("node identity: cannot review the agent's token for {}", method, e);
      return refuse(
          call,
          Status.UNAVAILABLE.withDescription("node identity: the token cannot be reviewed now"),
          method,
          "?");
    }
    BoundCall<Q, A> bound = new BoundCall<>(call, node, method);
    return new BoundListener<>(next.startCall(bound, headers), bound);
  }

  private static <Q, A> ServerCall.Listener<Q> refuse(
      ServerCall<Q, A> call, Status status, String method, String node) {
    log.warn(
        "node identity: refused {} (agent node {}): {}", method, node, status.getDescription());
    call.close(status, new Metadata());
    return new ServerCall.Listener<>() {};
  }

  /** Why the agent bound to {@code node} may not have the answer to {@code message}, if so. */
  private Optional<String> refusal(Object message, String node, boolean afterService) {
    if (message instanceof WatchNodeRequest watch) {
      return watch.getNodeName().equals(node)
          ? Optional.empty()
          : Optional.of(
              "the agent is bound to node '"
                  + node
                  + "' and may not watch node '"
                  + watch.getNodeName()
                  + "'");
    }
    String ip;
    if (message instanceof GetPodCredentialsRequest request) {
      ip = request.getIp();
    } else if (message instanceof GetPodRoleRequest request) {
      ip = request.getIp();
    } else {
      return Optional.empty();
    }
    String canonical;
    try {
      canonical = IpAddresses.canonical(ip);
    } catch (IllegalArgumentException e) {
      return Optional.empty(); // the service refuses it as INVALID_ARGUMENT
    }
    PodLookup lookup = pods.findByIp(canonical);
    boolean elsewhere;
    if (lookup instanceof PodLookup.Found found) {
      elsewhere = !found.pod().onNode(node);
    } else if (lookup instanceof PodLookup.Ambiguous ambiguous) {
      elsewhere = ambiguous.pods().stream().anyMatch(p -> !p.onNode(node));
    } else {
      // not known yet: before the service, let it wait for the pod; after it, the pod has gone
      elsewhere = afterService;
    }
    return elsewhere
        ? Optional.of(
            "IP "
                + canonical
                + " is not a pod on node '"
                + node
                + "', the node this agent is bound to")
        : Optional.empty();
  }

  /** The call as the service sees it: its answer is sent only if it is still the node's. */
  private final class BoundCall<Q, A>
      extends ForwardingServerCall.SimpleForwardingServerCall<Q, A> {
    private final String node;
    private final String method;
    private volatile Object request;
    private volatile boolean refused;

    BoundCall(ServerCall<Q, A> call, String node, String method) {
      super(call);
      this.node = node;
      this.method = method;
    }

    /** Refuses the call; true when it was refused now. */
    boolean refuseIfElsewhere(Object message, boolean afterService) {
      Optional<String> why = refusal(message, node, afterService);
      if (why.isEmpty()) {
        return false;
      }
      refused = true;
      log.warn("node identity: refused {} (agent node {}): {}", method, node, why.get());
      super.close(Status.PERMISSION_DENIED.withDescription(why.get()), new Metadata());
      return true;
    }

    @Override
    public void sendMessage(A message) {
      if (refused || (request != null && refuseIfElsewhere(request, true))) {
        return;
      }
      super.sendMessage(message);
    }

    @Override
    public void close(Status status, Metadata trailers) {
      if (!refused) {
        super.close(status, trailers);
      }
    }
  }

  /** Checks each request before the service sees it. */
  private static final class BoundListener<Q, A>
      extends ForwardingServerCallListener.SimpleForwardingServerCallListener<Q> {
    private final BoundCall<Q, A> call;

    BoundListener(ServerCall.Listener<Q> delegate, BoundCall<Q, A> call) {
      super(delegate);
      this.call = call;
    }

    @Override
    public void onMessage(Q message) {
      if (call.refused || call.refuseIfElsewhere(message, false)) {
        return;
      }
      if (!(message instanceof WatchNodeRequest)) {
        call.request = message;
      }
      super.onMessage(message);
    }

    @Override
    public void onHalfClose() {
      if (!call.refused) {
        super.onHalfClose();
      }
    }
  }
}
