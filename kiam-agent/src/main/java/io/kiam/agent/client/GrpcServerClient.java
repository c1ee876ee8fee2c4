package io.kiam.agent.client;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ConnectivityState;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.kiam.common.tls.ReloadingTls;
import io.kiam.proto.v1.GetHealthRequest;
import io.kiam.proto.v1.GetPodCredentialsRequest;
import io.kiam.proto.v1.GetPodRoleRequest;
import io.kiam.proto.v1.KiamServiceGrpc;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's gRPC client to the kiam-servers: mutual TLS from files re-read on change, every
 * server of the DNS name in round robin, retries on UNAVAILABLE and on an attempt's own deadline
 * against the next server within one call timeout, keepalive, and periodic re-resolution (see
 * {@link ServerAddressResolver}).
 */
public final class GrpcServerClient implements ServerClient {
  private static final Logger log = LoggerFactory.getLogger(GrpcServerClient.class);

  /** An attempt with less time than this left is not worth starting. */
  private static final java.time.Duration MIN_ATTEMPT = java.time.Duration.ofMillis(50);

  private final ManagedChannel channel;
  private final ClientSettings settings;
  private final ClientMetrics metrics;

  private GrpcServerClient(ManagedChannel channel, ClientSettings settings, ClientMetrics metrics) {
    this.channel = channel;
    this.settings = settings;
    this.metrics = metrics;
  }

  /**
   * A client that starts connecting at once; {@code tls} stays owned by the caller (start its
   * reload timer there). Metrics go to the default Prometheus registry.
   */
  public static GrpcServerClient connect(ClientSettings settings, ReloadingTls tls) {
    return connect(settings, tls, HostLookup.system(), ClientMetrics.defaultRegistry());
  }

  /** As {@link #connect(ClientSettings, ReloadingTls)} with the name look-up and metrics given. */
  // nameResolverFactory is deprecated for a global registry; ours must stay private to this
  // channel.
  @SuppressWarnings("deprecation")
  public static GrpcServerClient connect(
      ClientSettings settings, ReloadingTls tls, HostLookup lookup, ClientMetrics metrics) {
    ServerAddressResolverProvider resolver =
        new ServerAddressResolverProvider(
            settings.target(), lookup, settings.resolveEvery(), settings.resolveMinGap());
    NettyChannelBuilder builder =
        NettyChannelBuilder.forTarget(resolver.channelTarget())
            .nameResolverFactory(resolver)
            .sslContext(tls.grpcClientContext())
            .defaultServiceConfig(CallPolicy.serviceConfig(settings.maxAttempts()))
            .disableServiceConfigLookUp()
            .enableRetry()
            .keepAliveTime(settings.keepAliveTime().toMillis(), TimeUnit.MILLISECONDS)
            .keepAliveTimeout(settings.keepAliveTimeout().toMillis(), TimeUnit.MILLISECONDS)
            .keepAliveWithoutCalls(true)
            // Our callbacks only complete futures; running them on gRPC's event loop saves the
            // cached thread pool that otherwise grows to dozens of threads under load.
            .directExecutor()
            .intercept(new KiamClientMetricsInterceptor(metrics));
    // Added last, so it runs first: the metrics see the call as the server does.
    settings.nodeIdentityToken().ifPresent(file -> builder.intercept(new NodeIdentityToken(file)));
    if (settings.serverName() != null) {
      builder.overrideAuthority(settings.serverName() + ":" + settings.target().port());
    }
    log.atInfo()
        .addKeyValue("server.target", settings.target().authority())
        .addKeyValue("server.name", settings.expectedServerName())
        .addKeyValue("server.call_timeout", settings.callTimeout())
        .addKeyValue("server.max_attempts", settings.maxAttempts())
        .log("connecting to kiam servers");
    ManagedChannel channel = builder.build();
    // Connect now, so the first pod's request does not pay for the TLS handshake.
    channel.getState(true);
    return new GrpcServerClient(channel, settings, metrics);
  }

  @Override
  public CompletableFuture<PodRole> podRole(String ip) {
    return domain(
        call(
            KiamServiceGrpc.getGetPodRoleMethod(),
            GetPodRoleRequest.newBuilder().setIp(ip).build()),
        r -> new PodRole(StatusMapping.pod(r.getPod()), r.getRole(), r.getRoleArn()));
  }

  @Override
  public CompletableFuture<PodCredentials> podCredentials(String ip, String role) {
    return domain(
        call(
            KiamServiceGrpc.getGetPodCredentialsMethod(),
            GetPodCredentialsRequest.newBuilder().setIp(ip).setRole(role).build()),
        r ->
            new PodCredentials(
                StatusMapping.pod(r.getPod()), StatusMapping.credentials(r.getCredentials())));
  }

  /**
   * The cold path's one call: the decision for the pod at {@code ip} and, when permitted, its
   * credentials; null when the server is too old to answer so (ask the two unary calls instead).
   */
  CompletableFuture<PodAccess> podAccess(String ip) {
    return domain(
        call(
            KiamServiceGrpc.getGetPodCredentialsMethod(),
            GetPodCredentialsRequest.newBuilder().setIp(ip).setDecisionInResponse(true).build()),
        StatusMapping::access);
  }

  /** The channel, for the node stream. */
  Channel channel() {
    return channel;
  }

  /**
   * The call's answer as a domain record, or its failure as a {@link ServerFailure}; cancelling the
   * returned future cancels the call.
   */
  private static <R, T> CompletableFuture<T> domain(
      CompletableFuture<R> call, Function<R, T> convert) {
    CompletableFuture<T> result = new CompletableFuture<>();
    call.whenComplete(
        (r, e) -> {
          if (e != null) {
            result.completeExceptionally(StatusMapping.failure(e));
          } else {
            result.complete(convert.apply(r));
          }
        });
    result.whenComplete(
        (r, e) -> {
          if (result.isCancelled()) {
            call.cancel(false);
          }
        });
    return result;
  }

  /**
   * Asks servers for their health, one after another in round robin, until one says it serves or
   * {@code maxAttempts} have answered, all within one call timeout; a failed call counts as "not
   * serving".
   */
  @Override
  public CompletableFuture<Boolean> healthy() {
    return askHealth(settings.maxAttempts(), deadline());
  }

  /** The channel's connectivity (READY once a server is connected), for logs and tests. */
  public ConnectivityState state() {
    return channel.getState(false);
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private CompletableFuture<Boolean> askHealth(int attemptsLeft, Deadline deadline) {
    return call(
            KiamServiceGrpc.getGetHealthMethod(), GetHealthRequest.getDefaultInstance(), deadline)
        .handle((response, failure) -> failure == null && response.getServing())
        .thenCompose(
            serving ->
                serving || attemptsLeft <= 1 || deadline.isExpired()
                    ? CompletableFuture.completedFuture(serving)
                    : askHealth(attemptsLeft - 1, deadline));
  }

  private Deadline deadline() {
    return Deadline.after(settings.callTimeout().toNanos(), TimeUnit.NANOSECONDS);
  }

  /**
   * A call within the call timeout, in attempts: each gets at most {@link
   * ClientSettings#attemptTimeout()}, and one that runs out of it (a server that died silently, or
   * hangs) is tried again, which round robin sends to the next server, while time remains.
   * UNAVAILABLE is retried inside each attempt by gRPC's own policy (see {@link CallPolicy}).
   */
  private <Q, R> CompletableFuture<R> call(MethodDescriptor<Q, R> method, Q request) {
    long end = System.nanoTime() + settings.callTimeout().toNanos();
    CompletableFuture<R> result = new CompletableFuture<>();
    attempt(method, request, end, settings.maxAttempts(), result);
    return result;
  }

  private <Q, R> void attempt(
      MethodDescriptor<Q, R> method, Q request, long end, int left, CompletableFuture<R> result) {
    long budget = Math.min(end - System.nanoTime(), settings.attemptTimeout().toNanos());
    CompletableFuture<R> one = call(method, request, Deadline.after(budget, TimeUnit.NANOSECONDS));
    result.whenComplete(
        (r, e) -> {
          if (result.isCancelled()) {
            one.cancel(false);
          }
        });
    one.whenComplete(
        (r, e) -> {
          if (e == null) {
            result.complete(r);
            return;
          }
          // A server that waited on STS up to the attempt's deadline: the next attempt may find
          // the credentials (the shared STS call goes on), or another server holding them.
          boolean timedOut =
              Status.fromThrowable(e).getCode() == Status.Code.DEADLINE_EXCEEDED
                  || StatusMapping.stsPending(e);
          if (timedOut
              && left > 1
              && end - System.nanoTime() > MIN_ATTEMPT.toNanos()
              && !result.isDone()) {
            log.atDebug()
                .addKeyValue("server.method", method.getBareMethodName())
                .log("attempt timed out, trying the next server");
            attempt(method, request, end, left - 1, result);
          } else {
            result.completeExceptionally(e);
          }
        });
  }

  private <Q, R> CompletableFuture<R> call(
      MethodDescriptor<Q, R> method, Q request, Deadline deadline) {
    String name = method.getBareMethodName();
    long start = System.nanoTime();
    CompletableFuture<R> result = new CompletableFuture<>();
    ClientCall<Q, R> call = channel.newCall(method, CallOptions.DEFAULT.withDeadline(deadline));
    ClientCalls.asyncUnaryCall(call, request, new Completion<>(result, name, start));
    // A caller that gives up (its HTTP client went away) frees the server call too.
    result.whenComplete(
        (r, e) -> {
          if (result.isCancelled()) {
            call.cancel("caller cancelled", null);
          }
        });
    return result;
  }

  private final class Completion<R> implements StreamObserver<R> {
    private final CompletableFuture<R> result;
    private final String method;
    private final long start;
    private R value;

    Completion(CompletableFuture<R> result, String method, long start) {
      this.result = result;
      this.method = method;
      this.start = start;
    }

    @Override
    public void onNext(R response) {
      value = response;
    }

    @Override
    public void onError(Throwable t) {
      Status status = Status.fromThrowable(t);
      metrics.record(method, status.getCode(), System.nanoTime() - start);
      log.atDebug()
          .addKeyValue("server.method", method)
          .addKeyValue("grpc.code", status.getCode())
          .log("kiam server call failed: {}", status.getDescription());
      result.completeExceptionally(
          t instanceof StatusRuntimeException ? t : status.asRuntimeException());
    }

    @Override
    public void onCompleted() {
      metrics.record(method, Status.Code.OK, System.nanoTime() - start);
      result.complete(value);
    }
  }
}
