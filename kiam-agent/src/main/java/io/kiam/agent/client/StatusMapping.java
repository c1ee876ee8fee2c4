package io.kiam.agent.client;

import io.grpc.Metadata;
import io.grpc.Status;
import io.kiam.proto.v1.Credentials;
import io.kiam.proto.v1.GetPodCredentialsResponse;
import io.kiam.proto.v1.IpAssignment;
import io.kiam.proto.v1.PodDecision;
import io.kiam.proto.v1.RefusalCode;
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
    ServerFailure.Kind kind =
        stsPending(t) ? ServerFailure.Kind.STS_PENDING : kind(status.getCode());
    return new ServerFailure(kind, describe(status), t);
  }

  /** Trailer a server sets on UNAVAILABLE when it answered in time but STS has not yet. */
  static final Metadata.Key<String> REASON =
      Metadata.Key.of("kiam-reason", Metadata.ASCII_STRING_MARSHALLER);

  /** Whether the failure is a server saying it still waits on STS (see kiam.proto). */
  static boolean stsPending(Throwable t) {
    Metadata trailers = Status.trailersFromThrowable(t);
    return Status.fromThrowable(t).getCode() == Status.Code.UNAVAILABLE
        && trailers != null
        && "sts-pending".equals(trailers.get(REASON));
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

  /** A stream entry as the node view keeps it. */
  static PodAccess access(IpAssignment a) {
    return access(
        a.getPod(), a.getPodUid(), a.getDecision(), a.hasCredentials() ? a.getCredentials() : null);
  }

  /** A cold-path answer (asked with decision_in_response), or null from an older server. */
  static PodAccess access(GetPodCredentialsResponse r) {
    if (!r.hasDecision()
        || r.getDecision().getOutcomeCase() == PodDecision.OutcomeCase.OUTCOME_NOT_SET) {
      return null;
    }
    return access(
        r.getPod(), r.getPodUid(), r.getDecision(), r.hasCredentials() ? r.getCredentials() : null);
  }

  private static PodAccess access(
      io.kiam.proto.v1.PodRef ref, String uid, PodDecision decision, Credentials credentials) {
    if (decision.hasPermitted()) {
      var permitted = decision.getPermitted();
      return new PodAccess(
          pod(ref),
          uid,
          permitted.getRole(),
          permitted.getRoleArn(),
          permitted.getRoleName(),
          null,
          "",
          credentials == null ? null : credentials(credentials));
    }
    // No outcome at all is refused too: memory fails closed.
    var refused = decision.getRefused();
    return new PodAccess(
        pod(ref),
        uid,
        refused.getRole(),
        "",
        "",
        refusal(refused.getCode()),
        refused.getReason(),
        null);
  }

  static ServerFailure.Kind refusal(RefusalCode code) {
    return switch (code) {
      case REFUSAL_CODE_NO_ROLE, REFUSAL_CODE_IP_CONFLICT -> ServerFailure.Kind.NO_ROLE;
      default -> ServerFailure.Kind.REFUSED;
    };
  }
}
