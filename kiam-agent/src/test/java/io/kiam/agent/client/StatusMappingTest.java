package io.kiam.agent.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.grpc.Metadata;
import io.grpc.Status;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Each documented status code becomes one failure kind, whatever the description says. */
class StatusMappingTest {
  @ParameterizedTest
  @CsvSource({
    "NOT_FOUND,NO_SUCH_POD",
    "PERMISSION_DENIED,REFUSED",
    "FAILED_PRECONDITION,NO_ROLE",
    "UNAVAILABLE,UNAVAILABLE",
    "DEADLINE_EXCEEDED,UNAVAILABLE",
    "INVALID_ARGUMENT,MALFORMED",
    "INTERNAL,FAILED",
    "UNIMPLEMENTED,FAILED",
  })
  void mapsTheCodeNeverTheText(Status.Code code, ServerFailure.Kind kind) {
    var cause = Status.fromCode(code).withDescription("PERMISSION_DENIED").asRuntimeException();

    ServerFailure failure = StatusMapping.failure(cause);

    assertEquals(kind, failure.kind());
    assertSame(cause, failure.getCause());
  }

  @ParameterizedTest
  @CsvSource({
    "UNAVAILABLE,sts-pending,STS_PENDING",
    "UNAVAILABLE,something-else,UNAVAILABLE",
    "DEADLINE_EXCEEDED,sts-pending,UNAVAILABLE",
  })
  void theServersStsPendingTrailerOnUnavailableNamesSts(
      Status.Code code, String reason, ServerFailure.Kind kind) {
    Metadata trailers = new Metadata();
    trailers.put(StatusMapping.REASON, reason);
    var cause = Status.fromCode(code).withDescription("waiting").asRuntimeException(trailers);

    assertEquals(kind, StatusMapping.failure(cause).kind());
    assertEquals(kind == ServerFailure.Kind.STS_PENDING, StatusMapping.stsPending(cause));
  }
}
