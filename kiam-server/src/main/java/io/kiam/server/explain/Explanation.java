package io.kiam.server.explain;

import io.kiam.server.k8s.NamespaceInfo;
import io.kiam.server.k8s.PodInfo;
import io.kiam.server.policy.Decision;
import io.kiam.server.sts.StsFailure;
import java.util.List;
import java.util.Optional;

/**
 * Everything {@code explain} found out about one pod: the policy's decision as the server would
 * make it, the STS session it would ask for, why kiam might never serve the pod, and the STS check.
 *
 * @param notServed reasons the server would never attribute a request to this pod, empty if none
 * @param notes facts worth knowing that change nothing (no IP yet, terminating)
 */
public record Explanation(
    PodInfo pod,
    Optional<NamespaceInfo> namespace,
    Decision decision,
    String sessionName,
    List<String> notServed,
    List<String> notes,
    Optional<StsCheck> sts) {

  public Explanation {
    notServed = List.copyOf(notServed);
    notes = List.copyOf(notes);
  }

  /** The exit code this outcome maps to. */
  public ExitCode exitCode() {
    ExitCode policy;
    if (decision instanceof Decision.Allowed) {
      policy = ExitCode.ALLOWED;
    } else if (decision instanceof Decision.Forbidden) {
      policy = ExitCode.FORBIDDEN;
    } else {
      // NoRole, and InvalidRequest (only reachable if the annotation itself is malformed)
      policy = ExitCode.NO_ROLE;
    }
    if (policy != ExitCode.ALLOWED) {
      return policy;
    }
    if (!notServed.isEmpty()) {
      return ExitCode.NOT_SERVED;
    }
    return sts.map(Explanation::stsExitCode).orElse(ExitCode.ALLOWED);
  }

  private static ExitCode stsExitCode(StsCheck check) {
    if (check instanceof StsCheck.Failed failed) {
      return failed.kind() == StsFailure.Kind.UNAVAILABLE
          ? ExitCode.STS_UNAVAILABLE
          : ExitCode.STS_REFUSED;
    }
    return ExitCode.ALLOWED;
  }
}
