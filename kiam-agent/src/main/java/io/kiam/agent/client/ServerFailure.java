package io.kiam.agent.client;

import java.util.Objects;

/**
 * Why the servers gave no answer for a pod, as a kind the HTTP side branches on and an explanation
 * that travels on to the pod. The client package is the one place a gRPC status becomes one of
 * these; the cause, when there is one, is kept.
 */
public final class ServerFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What went wrong, one per documented status code of kiam.proto. */
  public enum Kind {
    /** No live pod has this IP. */
    NO_SUCH_POD,
    /** The policy refused the role; the explanation says why. */
    REFUSED,
    /** The pod has no iam.amazonaws.com/role, or two pods claim its IP. */
    NO_ROLE,
    /** No server could answer now (down, unreachable, not synced, STS unreachable). */
    UNAVAILABLE,
    /**
     * A server answered in time, but STS has not issued the role's credentials yet (throttling,
     * slow or down); the server keeps trying.
     */
    STS_PENDING,
    /** The request was malformed. */
    MALFORMED,
    /** Anything else a server failed with. */
    FAILED
  }

  private final Kind kind;
  private final String explanation;

  public ServerFailure(Kind kind, String explanation) {
    this(kind, explanation, null);
  }

  public ServerFailure(Kind kind, String explanation, Throwable cause) {
    super(kind + (explanation == null || explanation.isEmpty() ? "" : ": " + explanation), cause);
    this.kind = Objects.requireNonNull(kind, "kind");
    this.explanation = explanation == null ? "" : explanation;
  }

  public Kind kind() {
    return kind;
  }

  /** The servers' human explanation (never a secret); may be empty. */
  public String explanation() {
    return explanation;
  }
}
