package io.kiam.testkit.sts;

/** How the endpoint answered one authenticated AssumeRole call. */
public enum CallOutcome {
  ISSUED,
  ACCESS_DENIED,
  VALIDATION_ERROR,
  THROTTLED,
  INTERNAL_FAILURE,
  SERVICE_UNAVAILABLE;

  static CallOutcome of(StsError error) {
    return switch (error.code()) {
      case "AccessDenied" -> ACCESS_DENIED;
      case "Throttling" -> THROTTLED;
      case "InternalFailure" -> INTERNAL_FAILURE;
      case "ServiceUnavailable" -> SERVICE_UNAVAILABLE;
      default -> VALIDATION_ERROR;
    };
  }
}
