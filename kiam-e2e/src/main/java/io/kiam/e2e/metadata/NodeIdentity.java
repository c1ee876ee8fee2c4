package io.kiam.e2e.metadata;

/**
 * What the node's own metadata hands out; every value carries {@link #LEAK_MARKER} so that any of
 * it reaching a pod is detectable.
 */
public final class NodeIdentity {
  /** Appears in every value below: a pod response containing it is a leak. */
  public static final String LEAK_MARKER = "NODELEAK";

  /**
   * The node's role name carries no marker: pods ask for it by name in the path tricks, and an
   * agent that echoes the asked-for name in an error is not leaking anything.
   */
  public static final String ROLE_NAME = "kiam-e2e-node-role";

  public static final String ACCESS_KEY_ID = "ASIANODELEAKROLE0001";
  public static final String SECRET_ACCESS_KEY = "node-NODELEAK-secret-0000000000000000000000";
  public static final String SESSION_TOKEN = "node-NODELEAK-session-token";
  public static final String IDENTITY_ACCESS_KEY_ID = "ASIANODELEAKIDENT001";
  public static final String INSTANCE_ID = "i-0NODELEAK0000001";
  public static final String INSTANCE_PROFILE_ARN =
      "arn:aws:iam::111111111111:instance-profile/kiam-node-NODELEAK";

  /** The node's account, as its instance profile ARN and credentials name it. */
  public static final String ACCOUNT_ID = "111111111111";

  /** Who STS sees when a caller signs with the node's role credentials. */
  public static final String CALLER_ARN =
      "arn:aws:sts::" + ACCOUNT_ID + ":assumed-role/" + ROLE_NAME + "/" + INSTANCE_ID;

  public static final String USER_DATA = "#!/bin/bash\n# NODELEAK bootstrap secrets live here\n";

  private NodeIdentity() {}
}
