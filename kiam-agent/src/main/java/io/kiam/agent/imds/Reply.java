package io.kiam.agent.imds;

import io.kiam.agent.client.PodRef;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * One answer to a pod, with what the access log needs to know about it. The body may hold secrets
 * (credentials, tokens), so {@link #toString()} never shows it.
 */
public record Reply(
    HttpResponseStatus status,
    String contentType,
    byte[] body,
    Map<String, String> headers,
    String reason,
    PodRef pod,
    String role,
    String accessKey) {

  public static final String TEXT = "text/plain; charset=utf-8";
  static final String JSON = "application/json";

  public Reply {
    headers = Map.copyOf(headers);
    reason = reason == null ? "" : reason;
    role = role == null ? "" : role;
    accessKey = accessKey == null ? "" : accessKey;
  }

  /** A 200 with a plain-text body. */
  public static Reply text(String body) {
    return new Reply(
        HttpResponseStatus.OK,
        TEXT,
        body.getBytes(StandardCharsets.UTF_8),
        Map.of(),
        "",
        null,
        "",
        "");
  }

  /** An error whose one-line body is {@code reason}, which the access log repeats. */
  public static Reply error(HttpResponseStatus status, String reason) {
    String line = oneLine(reason);
    return new Reply(
        status, TEXT, (line + "\n").getBytes(StandardCharsets.UTF_8), Map.of(), line, null, "", "");
  }

  /** The same reply, attributed to {@code pod} and {@code role} in the access log. */
  public Reply about(PodRef pod, String role) {
    return new Reply(status, contentType, body, headers, reason, pod, role, accessKey);
  }

  /** The same reply with an extra response header. */
  public Reply withHeader(String name, String value) {
    Map<String, String> more = new java.util.LinkedHashMap<>(headers);
    more.put(name, value);
    return new Reply(status, contentType, body, more, reason, pod, role, accessKey);
  }

  /** The same reply noting which access key it handed out (the key id is not a secret). */
  public Reply withAccessKey(String accessKeyId) {
    return new Reply(status, contentType, body, headers, reason, pod, role, accessKeyId);
  }

  static String oneLine(String text) {
    String s = text == null ? "" : text.replaceAll("[\\r\\n\\t]+", " ").trim();
    return s.length() > 500 ? s.substring(0, 500) + "..." : s;
  }

  @Override
  public String toString() {
    return "Reply[" + status.code() + " " + reason + "]";
  }

  @Override
  public boolean equals(Object other) {
    return this == other;
  }

  @Override
  public int hashCode() {
    return System.identityHashCode(this);
  }
}
