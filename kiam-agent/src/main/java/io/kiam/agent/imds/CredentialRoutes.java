package io.kiam.agent.imds;

import io.kiam.agent.client.PodRole;
import io.kiam.agent.client.ServerClient;
import io.kiam.agent.client.ServerFailure;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.regex.Pattern;

/**
 * The two routes that matter to SDKs: the pod's role name, and its credentials, served only for the
 * role the servers say the pod has now (an IP can change hands).
 */
final class CredentialRoutes {
  /** IAM role names: 1..64 of letters, digits and +=,.@_- . */
  private static final Pattern ROLE_NAME = Pattern.compile("[\\w+=,.@-]{1,64}");

  private final ServerClient servers;
  private final CredentialReplies replies = new CredentialReplies();

  CredentialRoutes(ServerClient servers) {
    this.servers = servers;
  }

  CompletableFuture<Reply> roleName(String ip) {
    return servers
        .podRole(ip)
        .thenApply(
            answer -> {
              String name = answer.roleName();
              if (name.isEmpty()) {
                return Reply.error(
                        HttpResponseStatus.NOT_FOUND, "pod has no iam.amazonaws.com/role")
                    .about(answer.pod(), "");
              }
              return Reply.text(name).about(answer.pod(), name);
            })
        .exceptionally(failure -> serverFailure(failure, ip));
  }

  CompletableFuture<Reply> credentials(String ip, String requested, boolean extended) {
    if (!isRoleName(requested)) {
      return CompletableFuture.completedFuture(
          Reply.error(HttpResponseStatus.BAD_REQUEST, "'" + requested + "' is not a role name"));
    }
    return servers
        .podRole(ip)
        .thenCompose(
            answer -> {
              String own = answer.roleName();
              if (!own.equals(requested)) {
                return CompletableFuture.completedFuture(
                    Reply.error(HttpResponseStatus.NOT_FOUND, notOwnRole(answer, own, requested))
                        .about(answer.pod(), requested));
              }
              return servers
                  .podCredentials(ip, requested)
                  .thenApply(issued -> replies.reply(ip, issued, requested, extended));
            })
        .exceptionally(failure -> serverFailure(failure, ip).about(null, requested));
  }

  /** Whether {@code name} matches {@link #ROLE_NAME}, without a regex on the hot path. */
  static boolean isRoleName(String name) {
    int n = name.length();
    if (n < 1 || n > 64) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      char c = name.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || "_+=,.@-".indexOf(c) >= 0;
      if (!ok) {
        return ROLE_NAME.matcher(name).matches();
      }
    }
    return true;
  }

  private static String notOwnRole(PodRole answer, String own, String requested) {
    String pod = answer.pod().toString();
    if (own.isEmpty()) {
      return "pod " + pod + " has no iam.amazonaws.com/role; asked for '" + requested + "'";
    }
    return "pod " + pod + " has role '" + own + "', not '" + requested + "'";
  }

  private static Reply serverFailure(Throwable failure, String ip) {
    Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
    if (cause instanceof ServerFailure known) {
      return ServerErrors.reply(known, ip);
    }
    // A bug below us, not a server's answer: fail closed with a 500 that says so.
    throw new CompletionException(cause);
  }
}
