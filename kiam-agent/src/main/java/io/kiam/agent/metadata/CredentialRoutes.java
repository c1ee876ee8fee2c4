package io.kiam.agent.metadata;

import io.grpc.Status;
import io.kiam.agent.client.ServerClient;
import io.kiam.proto.v1.Credentials;
import io.kiam.proto.v1.GetPodRoleResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

/**
 * The two routes that matter to SDKs: the pod's role name, and its credentials, served only for the
 * role the server says the pod has (asked freshly each time: an IP can change hands).
 */
final class CredentialRoutes {
  /** IAM role names: 1..64 of letters, digits and +=,.@_- . */
  private static final Pattern ROLE_NAME = Pattern.compile("[\\w+=,.@-]{1,64}");

  private final ServerClient servers;

  CredentialRoutes(ServerClient servers) {
    this.servers = servers;
  }

  CompletableFuture<Reply> roleName(String ip) {
    return servers
        .podRole(ip)
        .thenApply(
            answer -> {
              String name = roleName(answer);
              if (name.isEmpty()) {
                return Reply.error(
                        HttpResponseStatus.NOT_FOUND, "pod has no iam.amazonaws.com/role")
                    .about(answer.getPod(), "");
              }
              return Reply.text(name).about(answer.getPod(), name);
            })
        .exceptionally(failure -> serverFailure(failure, ip));
  }

  CompletableFuture<Reply> credentials(String ip, String requested, boolean extended) {
    if (!ROLE_NAME.matcher(requested).matches()) {
      return CompletableFuture.completedFuture(
          Reply.error(HttpResponseStatus.BAD_REQUEST, "'" + requested + "' is not a role name"));
    }
    return servers
        .podRole(ip)
        .thenCompose(
            answer -> {
              String own = roleName(answer);
              if (!own.equals(requested)) {
                return CompletableFuture.completedFuture(
                    Reply.error(HttpResponseStatus.NOT_FOUND, notOwnRole(answer, own, requested))
                        .about(answer.getPod(), requested));
              }
              return servers
                  .podCredentials(ip, requested)
                  .thenApply(
                      issued -> {
                        Credentials credentials = issued.getCredentials();
                        return new Reply(
                                HttpResponseStatus.OK,
                                Reply.JSON,
                                CredentialsJson.write(credentials, extended),
                                Map.of(),
                                "",
                                issued.hasPod() ? issued.getPod() : answer.getPod(),
                                requested,
                                "")
                            .withAccessKey(credentials.getAccessKeyId());
                      });
            })
        .exceptionally(failure -> serverFailure(failure, ip).about(null, requested));
  }

  /** The role name as EC2 lists it: the last segment of the ARN or path/name annotation. */
  static String roleName(GetPodRoleResponse answer) {
    String role = answer.getRoleArn().isEmpty() ? answer.getRole() : answer.getRoleArn();
    return role.substring(role.lastIndexOf('/') + 1);
  }

  private static String notOwnRole(GetPodRoleResponse answer, String own, String requested) {
    String pod = answer.getPod().getNamespace() + "/" + answer.getPod().getName();
    if (own.isEmpty()) {
      return "pod " + pod + " has no iam.amazonaws.com/role; asked for '" + requested + "'";
    }
    return "pod " + pod + " has role '" + own + "', not '" + requested + "'";
  }

  private static Reply serverFailure(Throwable failure, String ip) {
    return ServerErrors.reply(Status.fromThrowable(failure), ip);
  }
}
