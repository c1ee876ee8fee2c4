package io.kiam.server.grpc;

import io.kiam.proto.v1.Credentials;
import io.kiam.proto.v1.IpAssignment;
import io.kiam.proto.v1.IpRemoved;
import io.kiam.proto.v1.NodeEvent;
import io.kiam.proto.v1.PodDecision;
import io.kiam.proto.v1.PodRef;
import io.kiam.proto.v1.RefusalCode;
import io.kiam.proto.v1.RolePermitted;
import io.kiam.proto.v1.RoleRefused;
import io.kiam.server.k8s.PodInfo;
import io.kiam.server.nodes.IpView;
import io.kiam.server.policy.Decision;
import io.kiam.server.policy.RolePolicy;
import io.kiam.server.sts.IssuedCredentials;

/** Domain values as kiam.proto messages: the one place decisions become wire decisions. */
final class WireMessages {
  private WireMessages() {}

  static PodDecision permitted(Decision.Allowed allowed) {
    return PodDecision.newBuilder()
        .setPermitted(
            RolePermitted.newBuilder()
                .setRole(allowed.role())
                .setRoleArn(allowed.roleArn())
                .setRoleName(RolePolicy.roleName(allowed.roleArn())))
        .build();
  }

  static PodDecision refused(RefusalCode code, String reason, PodInfo pod) {
    RoleRefused.Builder refused = RoleRefused.newBuilder().setCode(code).setReason(reason);
    if (pod != null && pod.hasRole()) {
      refused.setRole(pod.role());
    }
    return PodDecision.newBuilder().setRefused(refused).build();
  }

  /** The refusal code of a decision that is not Allowed. */
  static RefusalCode code(Decision decision) {
    if (decision instanceof Decision.Forbidden) {
      return RefusalCode.REFUSAL_CODE_FORBIDDEN;
    }
    if (decision instanceof Decision.NoRole) {
      return RefusalCode.REFUSAL_CODE_NO_ROLE;
    }
    return RefusalCode.REFUSAL_CODE_ROLE_MISMATCH;
  }

  static PodDecision decision(Decision decision, PodInfo pod) {
    return decision instanceof Decision.Allowed allowed
        ? permitted(allowed)
        : refused(code(decision), decision.explanation(), pod);
  }

  static NodeEvent event(IpView view) {
    if (view instanceof IpView.Assigned a) {
      IpAssignment.Builder assignment =
          IpAssignment.newBuilder()
              .setIp(a.ip())
              .setPodUid(a.pod().uid())
              .setPod(ref(a.pod()))
              .setDecision(decision(a.decision(), a.pod()));
      if (a.credentials() != null) {
        assignment.setCredentials(credentials(a.credentials()));
      }
      return NodeEvent.newBuilder().setAssigned(assignment).build();
    }
    if (view instanceof IpView.Conflicted c) {
      return NodeEvent.newBuilder()
          .setAssigned(
              IpAssignment.newBuilder()
                  .setIp(c.ip())
                  .setPodUid(c.pod().uid())
                  .setPod(ref(c.pod()))
                  .setDecision(
                      refused(RefusalCode.REFUSAL_CODE_IP_CONFLICT, c.explanation(), c.pod())))
          .build();
    }
    IpView.Removed removed = (IpView.Removed) view;
    return NodeEvent.newBuilder()
        .setRemoved(IpRemoved.newBuilder().setIp(removed.ip()).setPodUid(removed.uid()))
        .build();
  }

  static Credentials credentials(IssuedCredentials issued) {
    return Credentials.newBuilder()
        .setAccessKeyId(issued.accessKeyId())
        .setSecretAccessKey(issued.secretAccessKey())
        .setSessionToken(issued.sessionToken())
        .setExpirationEpochSeconds(issued.expiration().getEpochSecond())
        .setLastUpdatedEpochSeconds(issued.lastUpdated().getEpochSecond())
        .setAccountId(issued.accountId())
        .setRoleArn(issued.roleArn())
        .build();
  }

  static PodRef ref(PodInfo pod) {
    return PodRef.newBuilder().setNamespace(pod.namespace()).setName(pod.name()).build();
  }
}
