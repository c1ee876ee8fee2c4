package io.kiam.agent.client;

import io.grpc.Status;
import io.kiam.proto.v1.Credentials;
import java.time.Instant;

/**
 * The one place on the agent where the wire becomes the domain: status codes become {@link
 * ServerFailure} kinds (by code, never by text) and protobuf messages become records.
 */
final class StatusMapping {
  private StatusMapping() {}

  static ServerFailure failure(Throwable t) {
    if (t instanceof ServerFailure failure) {
      return failure;
    }
    Status status = Status.fromThrowable(t);
    return new ServerFailure(kind(status.getCode()), describe(status), t);
  }

  static ServerFailure.Kind kind(Status.Code code) {
    return switch (code) {
      case NOT_FOUND -> ServerFailure.Kind.NO_SUCH_POD;
      case PERMISSION_DENIED -> ServerFailure.Kind.REFUSED;
      case FAILED_PRECONDITION -> ServerFailure.Kind.NO_ROLE;
      case UNAVAILABLE, DEADLINE_EXCEEDED -> ServerFailure.Kind.UNAVAILABLE;
      case INVALID_ARGUMENT -> ServerFailure.Kind.MALFORMED;
      default -> ServerFailure.Kind.FAILED;
    };
  }

  /** The description, or for codes that say something by themselves, the code's name. */
  private static String describe(Status status) {
    String description = status.getDescription() == null ? "" : status.getDescription();
    return switch (status.getCode()) {
      case DEADLINE_EXCEEDED ->
          description.isEmpty() ? "deadline exceeded" : "deadline exceeded: " + description;
      case NOT_FOUND, PERMISSION_DENIED, FAILED_PRECONDITION, UNAVAILABLE, INVALID_ARGUMENT ->
          description;
      default -> status.getCode() + (description.isEmpty() ? "" : ": " + description);
    };
  }

  static PodRef pod(io.kiam.proto.v1.PodRef ref) {
    return new PodRef(ref.getNamespace(), ref.getName());
  }

  static IssuedCredentials credentials(Credentials c) {
    return new IssuedCredentials(
        c.getAccessKeyId(),
        c.getSecretAccessKey(),
        c.getSessionToken(),
        Instant.ofEpochSecond(c.getExpirationEpochSeconds()),
        Instant.ofEpochSecond(c.getLastUpdatedEpochSeconds()),
        c.getAccountId(),
        c.getRoleArn());
  }
}
