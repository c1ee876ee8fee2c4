package io.kiam.e2e.node;

import java.util.Map;

/**
 * The STS endpoint the node uses: the testkit endpoint started for the run, or a real one named by
 * the user; kiam-server calls it and the pods reach it.
 */
public interface StsHandle extends AutoCloseable {
  /** The URL kiam-server and the pods call. */
  String url();

  /** The signing region. */
  String region();

  /** The account whose roles the pods get: kiam-server's --role-base-arn is built from it. */
  String accountId();

  /** Environment kiam-server needs for its own (base) AWS credentials. */
  Map<String, String> serverEnvironment();

  /**
   * Host names the pods must resolve to reach {@link #url()} (written to their /etc/hosts), or none
   * when the URL names an address they reach already.
   */
  default Map<String, String> podHosts() {
    return Map.of();
  }

  /** Makes sure the endpoint knows the role (the testkit endpoint only knows declared roles). */
  void declareRole(String roleName);

  @Override
  void close();
}
