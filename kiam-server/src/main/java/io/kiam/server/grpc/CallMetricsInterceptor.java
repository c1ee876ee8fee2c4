package io.kiam.server.grpc;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/** Counts every gRPC call by method and final status code, and times it. */
final class CallMetricsInterceptor implements ServerInterceptor {
  private final GrpcMetrics metrics;

  CallMetricsInterceptor(GrpcMetrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    long started = System.nanoTime();
    String method = call.getMethodDescriptor().getBareMethodName();
    GrpcMetrics.GrpcLabels labels = GrpcMetrics.GrpcLabels.of(call.getMethodDescriptor());
    metrics.started(labels);
    ServerCall<Q, R> counted =
        new SimpleForwardingServerCall<>(call) {
          @Override
          public void sendMessage(R message) {
            metrics.sent(labels);
            super.sendMessage(message);
          }

          @Override
          public void close(Status status, Metadata trailers) {
            metrics.call(method, status.getCode().name(), System.nanoTime() - started);
            metrics.handled(labels, status.getCode());
            super.close(status, trailers);
          }
        };
    return new SimpleForwardingServerCallListener<>(next.startCall(counted, headers)) {
      @Override
      public void onMessage(Q message) {
        metrics.received(labels);
        super.onMessage(message);
      }
    };
  }
}
