package io.kiam.server.policy;

/**
 * The policy's verdict on a pod asking for a role: a value, never an exception, each refusal with
 * an explanation a person can act on.
 */
public sealed interface Decision {
  /** A short stable label for metrics and logs (allowed, forbidden, no_role, invalid_request). */
  String outcome();

  /** The explanation shown to people: why the role was granted or refused. */
  String explanation();

  /**
   * The pod may have the role.
   *
   * @param role the role as the pod's annotation names it
   * @param roleArn its full ARN, the one STS is asked for
   */
  record Allowed(String role, String roleArn, String explanation) implements Decision {
    @Override
    public String outcome() {
      return "allowed";
    }
  }

  /** The pod may not have the role it asked for (PERMISSION_DENIED). */
  record Forbidden(String explanation) implements Decision {
    @Override
    public String outcome() {
      return "forbidden";
    }
  }

  /**
   * The pod names no usable role: no annotation, or one that is not a role (FAILED_PRECONDITION).
   */
  record NoRole(String explanation) implements Decision {
    @Override
    public String outcome() {
      return "no_role";
    }
  }

  /** The request itself names a malformed role (INVALID_ARGUMENT). */
  record InvalidRequest(String explanation) implements Decision {
    @Override
    public String outcome() {
      return "invalid_request";
    }
  }
}
