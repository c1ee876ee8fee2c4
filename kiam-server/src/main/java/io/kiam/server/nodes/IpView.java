package io.kiam.server.nodes;

import io.kiam.server.k8s.PodInfo;
import io.kiam.server.policy.Decision;
import io.kiam.server.sts.IssuedCredentials;
import io.kiam.server.sts.RoleRequest;
import java.util.Objects;

/** What one IP of a node answers now: a pod with its decision, a conflict, or nothing. */
public sealed interface IpView {
  /** The IP, in canonical text form. */
  String ip();

  /** Whether an agent holding {@code other} would answer exactly as with this view. */
  boolean sameAnswer(IpView other);

  /**
   * The IP belongs to {@code pod}, judged by the policy on the pod's own role.
   *
   * @param credentials the pod's current credentials when allowed and held, else null
   * @param request what those credentials were asked for, when allowed, else null
   */
  record Assigned(
      String ip, PodInfo pod, Decision decision, IssuedCredentials credentials, RoleRequest request)
      implements IpView {
    public Assigned {
      Objects.requireNonNull(ip, "ip");
      Objects.requireNonNull(pod, "pod");
      Objects.requireNonNull(decision, "decision");
    }

    @Override
    public boolean sameAnswer(IpView other) {
      return other instanceof Assigned a
          && a.pod.uid().equals(pod.uid())
          && a.pod.namespace().equals(pod.namespace())
          && a.pod.name().equals(pod.name())
          && a.decision.equals(decision)
          && Objects.equals(a.credentials, credentials);
    }
  }

  /** Two live pods of this node (or this node and another) claim the IP: answer neither. */
  record Conflicted(String ip, PodInfo pod, String explanation) implements IpView {
    @Override
    public boolean sameAnswer(IpView other) {
      return other instanceof Conflicted c
          && c.pod.uid().equals(pod.uid())
          && c.explanation.equals(explanation);
    }
  }

  /** No pod of this node owns the IP. */
  record Removed(String ip, String uid) implements IpView {
    @Override
    public boolean sameAnswer(IpView other) {
      return other instanceof Removed;
    }
  }
}
