package io.kiam.agent.metadata;

import io.grpc.Status;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * The one place a kiam-server failure becomes an HTTP answer, chosen by the gRPC status code alone
 * (never its text, which only travels on to the pod as the explanation). docs/agent-errors.md
 * documents this table.
 */
public final class ServerErrors {
  private ServerErrors() {}

  /** The reply for a failed call about the pod at {@code ip}. */
  public static Reply reply(Status status, String ip) {
    String explanation = Reply.oneLine(status.getDescription());
    return switch (status.getCode()) {
      case NOT_FOUND -> Reply.error(HttpResponseStatus.NOT_FOUND, "no pod known with IP " + ip);
      case PERMISSION_DENIED ->
          Reply.error(
              HttpResponseStatus.FORBIDDEN, orDefault(explanation, "role refused by policy"));
      case FAILED_PRECONDITION ->
          Reply.error(
              HttpResponseStatus.NOT_FOUND,
              orDefault(explanation, "pod with IP " + ip + " has no iam.amazonaws.com/role"));
      case UNAVAILABLE, DEADLINE_EXCEEDED ->
          Reply.error(
              HttpResponseStatus.SERVICE_UNAVAILABLE,
              "no kiam-server reachable" + (explanation.isEmpty() ? "" : ": " + explanation));
      case INVALID_ARGUMENT ->
          Reply.error(
              HttpResponseStatus.BAD_REQUEST,
              orDefault(explanation, "request refused as malformed"));
      default ->
          Reply.error(
              HttpResponseStatus.INTERNAL_SERVER_ERROR,
              "kiam-server failed: "
                  + status.getCode()
                  + (explanation.isEmpty() ? "" : ": " + explanation));
    };
  }

  private static String orDefault(String explanation, String fallback) {
    return explanation.isEmpty() ? fallback : explanation;
  }
}
