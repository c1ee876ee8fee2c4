package io.kiam.server.grpc;

import io.grpc.Status;
import io.kiam.server.k8s.PodInfo;

/** A refusal decided by the service, carrying its status (and the pod, for the log line). */
final class Refusal extends RuntimeException {
  final Status status;
  final transient PodInfo pod;

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
