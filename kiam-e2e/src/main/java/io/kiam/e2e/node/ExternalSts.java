package io.kiam.e2e.node;

import java.util.Map;
import java.util.Objects;

/** A real STS endpoint: kiam-server gets the user's AWS credentials from the environment given. */
public record ExternalSts(
    String url, String region, String accountId, Map<String, String> serverEnvironment)
    implements StsHandle {
  public ExternalSts {
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(region, "region");
    Objects.requireNonNull(accountId, "accountId (needed for --role-base-arn)");
    serverEnvironment = Map.copyOf(serverEnvironment);
  }

  @Override
  public void declareRole(String roleName) {
    // real IAM: the roles and their trust policies are the user's to set up
  }

  @Override
  public void close() {}
}
