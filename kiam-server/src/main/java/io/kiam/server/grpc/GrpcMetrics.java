package io.kiam.server.grpc;

import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;

/** The gRPC side's Prometheus metrics: calls by method and code, latency, decisions by outcome. */
public final class GrpcMetrics implements AutoCloseable {
  private final PrometheusRegistry registry;
  private final Counter calls;
  private final Histogram latency;
  private final Counter decisions;
  private final Counter kiamStarted;
  private final Counter kiamHandled;
  private final Counter kiamReceived;
  private final Counter kiamSent;

  /** Registers the metrics with {@code registry} (the default one in production). */
  public GrpcMetrics(PrometheusRegistry registry) {
    this.registry = registry;
    calls =
        Counter.builder()
            .name("kiam_server_grpc_calls_total")
            .help("gRPC calls answered, by method and status code")
            .labelNames("method", "code")
            .register(registry);
    latency =
        Histogram.builder()
            .name("kiam_server_grpc_call_duration_seconds")
            .help("Time from a gRPC call's arrival to its answer, by method")
            .unit(Unit.SECONDS)
            .labelNames("method")
            .classicOnly()
            .classicUpperBounds(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1)
            .register(registry);
    decisions =
        Counter.builder()
            .name("kiam_server_decisions_total")
            .help(
                "Credential requests decided, by outcome (allowed, forbidden, no_role, invalid_request, not_found, ip_conflict)")
            .labelNames("outcome")
            .register(registry);
    // go-grpc-prometheus' names, as kiam's server exported them (kiam's docs/METRICS.md).
    kiamStarted =
        Counter.builder()
            .name("grpc_server_started_total")
            .help("Total number of RPCs started on the server.")
            .labelNames("grpc_type", "grpc_service", "grpc_method")
            .register(registry);
    kiamHandled =
        Counter.builder()
            .name("grpc_server_handled_total")
            .help("Total number of RPCs completed on the server, regardless of success or failure.")
            .labelNames("grpc_type", "grpc_service", "grpc_method", "grpc_code")
            .register(registry);
    kiamReceived =
        Counter.builder()
            .name("grpc_server_msg_received_total")
            .help("Total number of RPC stream messages received on the server.")
            .labelNames("grpc_type", "grpc_service", "grpc_method")
            .register(registry);
    kiamSent =
        Counter.builder()
            .name("grpc_server_msg_sent_total")
            .help("Total number of gRPC stream messages sent by the server.")
            .labelNames("grpc_type", "grpc_service", "grpc_method")
            .register(registry);
  }

  /** Removes the metrics from the registry, so a later server in the same JVM can register. */
  @Override
  public void close() {
    registry.unregister(calls);
    registry.unregister(latency);
    registry.unregister(decisions);
    registry.unregister(kiamStarted);
    registry.unregister(kiamHandled);
    registry.unregister(kiamReceived);
    registry.unregister(kiamSent);
  }

  /** go-grpc-prometheus' labels of a method: its type, service and name. */
  record GrpcLabels(String type, String service, String method) {
    static GrpcLabels of(MethodDescriptor<?, ?> descriptor) {
      String type =
          switch (descriptor.getType()) {
            case UNARY -> "unary";
            case CLIENT_STREAMING -> "client_stream";
            case SERVER_STREAMING -> "server_stream";
            case BIDI_STREAMING -> "bidi_stream";
            default -> "unknown";
          };
      return new GrpcLabels(type, descriptor.getServiceName(), descriptor.getBareMethodName());
    }
  }

  void started(GrpcLabels labels) {
    kiamStarted.labelValues(labels.type(), labels.service(), labels.method()).inc();
  }

  void received(GrpcLabels labels) {
    kiamReceived.labelValues(labels.type(), labels.service(), labels.method()).inc();
  }

  void sent(GrpcLabels labels) {
    kiamSent.labelValues(labels.type(), labels.service(), labels.method()).inc();
  }

  void handled(GrpcLabels labels, Status.Code code) {
    kiamHandled
        .labelValues(labels.type(), labels.service(), labels.method(), goCodeName(code))
        .inc();
  }

  /** A status code as Go's codes.Code.String() spells it (go-grpc-prometheus' grpc_code). */
  static String goCodeName(Status.Code code) {
    return switch (code) {
      case OK -> "OK";
      case CANCELLED -> "Canceled";
      case UNKNOWN -> "Unknown";
      case INVALID_ARGUMENT -> "InvalidArgument";
      case DEADLINE_EXCEEDED -> "DeadlineExceeded";
      case NOT_FOUND -> "NotFound";
      case ALREADY_EXISTS -> "AlreadyExists";
      case PERMISSION_DENIED -> "PermissionDenied";
      case RESOURCE_EXHAUSTED -> "ResourceExhausted";
      case FAILED_PRECONDITION -> "FailedPrecondition";
      case ABORTED -> "Aborted";
      case OUT_OF_RANGE -> "OutOfRange";
      case UNIMPLEMENTED -> "Unimplemented";
      case INTERNAL -> "Internal";
      case UNAVAILABLE -> "Unavailable";
      case DATA_LOSS -> "DataLoss";
      case UNAUTHENTICATED -> "Unauthenticated";
    };
  }

  void call(String method, String code, long nanos) {
    calls.labelValues(method, code).inc();
    latency.labelValues(method).observe(nanos / 1e9);
  }

  void decision(String outcome) {
    decisions.labelValues(outcome).inc();
  }
}
