package io.kiam.common.imds;

/**
 * The instance metadata service's IMDSv2 token protocol, shared by every kiam client of the real
 * service (the agent's upstream proxy, the server's base-ARN detection) and the agent's own tokens.
 */
public final class MetadataTokens {
  /** The header a PUT carries the wanted lifetime in, and the response echoes. */
  public static final String TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds";

  /** The header a GET carries the token in. */
  public static final String TOKEN_HEADER = "X-aws-ec2-metadata-token";

  /** Where a token is PUT for, relative to the service's root. */
  public static final String TOKEN_PATH = "latest/api/token";

  /** The longest lifetime EC2 grants (6 hours). */
  public static final int MAX_TTL_SECONDS = 21_600;

  private MetadataTokens() {}
}
