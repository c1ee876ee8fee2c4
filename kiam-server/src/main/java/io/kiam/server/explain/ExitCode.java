package io.kiam.server.explain;

/**
 * The exit codes of {@code kiam-server explain}, one per outcome, so scripts and CI jobs can branch
 * on why a pod would get no credentials (docs/troubleshooting.md lists them).
 */
public enum ExitCode {
  /** The pod would get its role (and STS issued credentials, when checked). */
  ALLOWED(0, "the pod would get its role (and STS issued credentials, with --check-sts)"),
  /** explain itself could not finish: the API server unreachable, no permission to read, ... */
  ERROR(1, "explain could not finish: the API server is unreachable or refused to answer"),
  /** A bad command line (picocli's and the daemons' usage code). */
  USAGE(2, "bad flags"),
  /** The pod (or its namespace) does not exist. */
  POD_NOT_FOUND(3, "the pod or its namespace does not exist"),
  /** The pod has no role annotation, or one that is not a role. */
  NO_ROLE(4, "the pod has no iam.amazonaws.com/role annotation, or it names no valid role"),
  /** The namespace does not permit the pod's role. */
  FORBIDDEN(5, "the namespace does not permit the pod's role"),
  /** The policy allows the role but kiam never serves this pod (hostNetwork, or finished). */
  NOT_SERVED(6, "the pod may have the role, but kiam never serves it (hostNetwork, or finished)"),
  /** STS refused the AssumeRole (AccessDenied, ValidationError): an IAM set-up problem. */
  STS_REFUSED(7, "STS refused the AssumeRole (AccessDenied or ValidationError)"),
  /** STS could not be reached, or throttled, or failed. */
  STS_UNAVAILABLE(8, "STS could not be reached or failed (network, throttling, 5xx)");

  private final int code;
  private final String meaning;

  ExitCode(int code, String meaning) {
    this.code = code;
    this.meaning = meaning;
  }

  public int code() {
    return code;
  }

  /** One line for --help and the docs. */
  public String meaning() {
    return meaning;
  }
}
