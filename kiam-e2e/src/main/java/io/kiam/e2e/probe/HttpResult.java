package io.kiam.e2e.probe;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** One raw HTTP exchange made from a pod: the status and body, or the connection error. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record HttpResult(
    String request, Integer status, String body, String location, String error, Integer round) {
  public boolean ok() {
    return status != null && status == 200;
  }

  /** The body, or "" when there was none. */
  public String text() {
    return body == null ? "" : body;
  }
}
