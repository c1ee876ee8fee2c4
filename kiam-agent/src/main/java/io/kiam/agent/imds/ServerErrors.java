package io.kiam.agent.imds;

import io.kiam.agent.client.ServerFailure;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * The one place a kiam-server failure becomes an HTTP answer, chosen by the failure's kind alone
 * (never its text, which only travels on to the pod as the explanation). docs/agent-errors.md
 * documents this table.
 */
public final class ServerErrors {
  private ServerErrors() {}

  /** The reply for a failed answer about the pod at {@code ip}. */
  public static Reply reply(ServerFailure failure, String ip) {
    String explanation = Reply.oneLine(failure.explanation());
    return switch (failure.kind()) {
      case NO_SUCH_POD -> Reply.error(HttpResponseStatus.NOT_FOUND, "no pod known with IP " + ip);
      case REFUSED ->
          Reply.error(
              HttpResponseStatus.FORBIDDEN, orDefault(explanation, "role refused by policy"));
      case NO_ROLE ->
          Reply.error(
              HttpResponseStatus.NOT_FOUND,
              orDefault(explanation, "pod with IP " + ip + " has no iam.amazonaws.com/role"));
      case UNAVAILABLE ->
          Reply.error(
              HttpResponseStatus.SERVICE_UNAVAILABLE,
              "no kiam-server reachable" + (explanation.isEmpty() ? "" : ": " + explanation));
      case STS_PENDING ->
          Reply.error(
              HttpResponseStatus.SERVICE_UNAVAILABLE,
              "kiam-server is waiting on STS" + (explanation.isEmpty() ? "" : ": " + explanation));
      case MALFORMED ->
          Reply.error(
              HttpResponseStatus.BAD_REQUEST,
              orDefault(explanation, "request refused as malformed"));
      case FAILED ->
          Reply.error(
              HttpResponseStatus.INTERNAL_SERVER_ERROR,
              "kiam-server failed" + (explanation.isEmpty() ? "" : ": " + explanation));
    };
  }

  private static String orDefault(String explanation, String fallback) {
    return explanation.isEmpty() ? fallback : explanation;
  }
}
