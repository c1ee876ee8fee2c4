package io.kiam.agent.imds;

import io.kiam.agent.client.IssuedCredentials;
import io.kiam.agent.client.PodCredentials;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The credentials answer of each pod, built once per credentials version: the JSON (with its
 * timestamps) and the {@link Reply} are made when the servers hand out new credentials, not for
 * every request. A pod's SDK asks again and again for the same bytes until the next refresh, so the
 * hot path is a lookup and an identity check.
 */
final class CredentialReplies {
  /** More entries than a node has pods (110 by default) and cold callers; past it, start over. */
  static final int MAX_ENTRIES = 4096;

  private final Map<String, Built> byIp = new ConcurrentHashMap<>();

  /** One IP's answer for one version of its credentials, in the two shapes EC2 serves. */
  private static final class Built {
    final PodCredentials issued;
    final String role;
    volatile Reply plain;
    volatile Reply extended;

    Built(PodCredentials issued, String role) {
      this.issued = issued;
      this.role = role;
    }

    boolean answers(PodCredentials other, String requested) {
      // Identity of the credentials: a refresh delivers a new object, which builds anew.
      return issued.credentials() == other.credentials()
          && issued.pod().equals(other.pod())
          && role.equals(requested);
    }
  }

  /** The 200 answering {@code ip}'s request for {@code role} with {@code issued}. */
  Reply reply(String ip, PodCredentials issued, String role, boolean extended) {
    Built built = byIp.get(ip);
    if (built == null || !built.answers(issued, role)) {
      if (byIp.size() >= MAX_ENTRIES) {
        byIp.clear();
      }
      built = new Built(issued, role);
      byIp.put(ip, built);
    }
    Reply reply = extended ? built.extended : built.plain;
    if (reply == null) {
      reply = build(issued, role, extended);
      if (extended) {
        built.extended = reply;
      } else {
        built.plain = reply;
      }
    }
    return reply;
  }

  static Reply build(PodCredentials issued, String role, boolean extended) {
    IssuedCredentials credentials = issued.credentials();
    return new Reply(
        HttpResponseStatus.OK,
        Reply.JSON,
        CredentialsJson.write(credentials, extended),
        Map.of(),
        "",
        issued.pod(),
        role,
        credentials.accessKeyId());
  }

  /** How many IPs have an answer built (for tests). */
  int size() {
    return byIp.size();
  }
}
