package io.kiam.server.k8s;

/** A pod's lifecycle phase as Kubernetes reports it; finished pods never own an IP. */
public enum PodPhase {
  PENDING,
  RUNNING,
  SUCCEEDED,
  FAILED,
  UNKNOWN;

  /** Parses status.phase; anything unexpected is UNKNOWN (still treated as live). */
  public static PodPhase parse(String phase) {
    if (phase == null) {
      return PENDING;
    }
    return switch (phase) {
      case "Pending" -> PENDING;
      case "Running" -> RUNNING;
      case "Succeeded" -> SUCCEEDED;
      case "Failed" -> FAILED;
      default -> UNKNOWN;
    };
  }

  /** Whether the pod's containers are finished for good (its IP may already belong to another). */
  public boolean finished() {
    return this == SUCCEEDED || this == FAILED;
  }

  /** The phase as Kubernetes spells it. */
  public String apiName() {
    return switch (this) {
      case PENDING -> "Pending";
      case RUNNING -> "Running";
      case SUCCEEDED -> "Succeeded";
      case FAILED -> "Failed";
      case UNKNOWN -> "Unknown";
    };
  }
}
