package io.kiam.server.explain;

import io.kiam.server.k8s.KiamAnnotations;
import io.kiam.server.k8s.NamespaceInfo;
import io.kiam.server.k8s.PodInfo;
import io.kiam.server.policy.Decision;
import java.io.PrintWriter;
import java.time.temporal.ChronoUnit;

/**
 * Writes an {@link Explanation} as aligned "field: value" lines an operator can paste in a ticket.
 */
public final class ExplanationPrinter {
  private ExplanationPrinter() {}

  public static void print(Explanation e, PrintWriter out) {
    PodInfo pod = e.pod();
    line(out, "pod", pod.qualifiedName() + " (" + pod.phase().apiName() + ips(pod) + ")");
    line(out, "namespace", namespace(e));
    line(out, "role annotation", pod.hasRole() ? pod.role() : "(none)");
    line(out, "ns permits", permits(e));
    line(out, "role resolves", resolves(e));
    line(out, "decision", e.decision().outcome());
    line(out, "reason", e.decision().explanation());
    if (e.decision() instanceof Decision.Allowed allowed) {
      line(out, "role ARN", allowed.roleArn());
    }
    line(out, "session name", e.sessionName());
    line(out, "external id", pod.externalId() == null ? "none" : "**** (set)");
    for (String reason : e.notServed()) {
      line(out, "not served", reason);
    }
    for (String note : e.notes()) {
      line(out, "note", note);
    }
    e.sts().ifPresent(check -> sts(out, check));
    line(out, "exit code", e.exitCode().code() + " (" + e.exitCode().meaning() + ")");
    out.flush();
  }

  private static void sts(PrintWriter out, StsCheck check) {
    if (check instanceof StsCheck.Issued issued) {
      line(
          out,
          "sts",
          "ok: access key "
              + issued.accessKeyId()
              + ", account "
              + issued.accountId()
              + ", expires "
              + issued.expiration().truncatedTo(ChronoUnit.SECONDS));
    } else if (check instanceof StsCheck.Failed failed) {
      line(
          out,
          "sts",
          "failed (" + failed.errorCode().orElse(failed.kind().name()) + "): " + failed.message());
    }
  }

  /** Whether the namespace permits the role, apart from whether the role resolves to an ARN. */
  private static String permits(Explanation e) {
    PodInfo pod = e.pod();
    if (!pod.hasRole()) {
      return "(no role asked for)";
    }
    if (e.namespace().isEmpty()) {
      return "no: the namespace is not known";
    }
    NamespaceInfo ns = e.namespace().get();
    if (ns.permitted() == null) {
      return "no: the namespace has no " + KiamAnnotations.PERMITTED + " annotation";
    }
    if (ns.patternError() != null) {
      return "no: the expression is invalid (" + ns.patternError() + ")";
    }
    String role = pod.role();
    String matched =
        e.decision() instanceof Decision.Allowed allowed
            ? ns.matchedForm(role, allowed.roleArn())
            : ns.matchedForm(role, null);
    if (matched != null) {
      boolean byArn = matched.startsWith("arn:") && !role.startsWith("arn:");
      return "yes: '" + ns.permitted() + "' matches '" + role + "'" + (byArn ? " (its ARN)" : "");
    }
    return "no: '" + ns.permitted() + "' does not match '" + role + "'";
  }

  private static String resolves(Explanation e) {
    if (e.decision() instanceof Decision.Allowed allowed) {
      return "yes: " + allowed.roleArn();
    }
    if (e.decision() instanceof Decision.NoRole && e.pod().hasRole()) {
      return "no: " + e.decision().explanation();
    }
    return "(not checked: the policy refused first)";
  }

  private static String ips(PodInfo pod) {
    if (pod.hostNetwork()) {
      return ", hostNetwork";
    }
    return pod.ips().isEmpty() ? ", no IP yet" : ", " + String.join(", ", pod.ips());
  }

  private static String namespace(Explanation e) {
    if (e.namespace().isEmpty()) {
      return e.pod().namespace() + " (not found)";
    }
    NamespaceInfo ns = e.namespace().get();
    String permitted = ns.permitted() == null ? "(none)" : "'" + ns.permitted() + "'";
    return ns.name() + " (" + KiamAnnotations.PERMITTED + ": " + permitted + ")";
  }

  private static void line(PrintWriter out, String field, String value) {
    out.printf("%-16s %s%n", field + ":", value);
  }
}
