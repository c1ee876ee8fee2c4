package io.kiam.e2e.probe;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** What the SDK probe saw in a pod: the access key id and caller ARN it got, or its error. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record SdkResult(String accessKeyId, String arn, String account, String error, String raw) {
  public SdkResult withRaw(String output) {
    return new SdkResult(accessKeyId, arn, account, error, output);
  }

  public boolean succeeded() {
    return error == null && arn != null;
  }
}
