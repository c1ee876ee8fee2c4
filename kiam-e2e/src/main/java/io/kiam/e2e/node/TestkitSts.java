package io.kiam.e2e.node;

import io.kiam.e2e.metadata.NodeIdentity;
import io.kiam.testkit.sts.BaseCredentials;
import io.kiam.testkit.sts.StsEndpoint;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The testkit's STS endpoint (SigV4 checked, real AssumeRole and GetCallerIdentity wire format),
 * bound to the machine's uplink address so that both kiam-server and the pods reach it.
 */
public final class TestkitSts implements StsHandle {
  public static final String REGION = "us-east-1";

  private final StsEndpoint endpoint;
  private final Set<String> roles;
  private final boolean strict;

  private TestkitSts(StsEndpoint endpoint, Set<String> roles, boolean strict) {
    this.endpoint = endpoint;
    this.roles = roles;
    this.strict = strict;
  }

  /** Starts the endpoint knowing exactly these role names (it only assumes roles it knows). */
  public static TestkitSts start(String host, Collection<String> roleNames) {
    StsEndpoint.Builder builder = builder(host);
    Set<String> roles = new TreeSet<>(roleNames);
    roles.forEach(builder::role);
    return new TestkitSts(builder.start(), roles, true);
  }

  /**
   * Starts a sandbox account's endpoint: every role of the account exists, or with onlyRoles non
   * null only those; a pod may ask for any role (an unknown one is refused as by real STS).
   */
  public static TestkitSts startSandbox(String host, Collection<String> onlyRoles) {
    StsEndpoint.Builder builder = builder(host);
    if (onlyRoles == null) {
      builder.anyRoleInAccount();
    } else {
      new TreeSet<>(onlyRoles).forEach(builder::role);
    }
    return new TestkitSts(builder.start(), Set.of(), false);
  }

  /**
   * Starts the node account's endpoint for servers in the node's host network: it knows exactly
   * these role names in the node's account and accepts only the node role's credentials (those the
   * metadata stand-in hands out), so every call it records was signed with the node's role.
   */
  public static TestkitSts startForNodeRole(String host, Collection<String> roleNames) {
    StsEndpoint.Builder builder = nodeRole(builder(host));
    Set<String> roles = new TreeSet<>(roleNames);
    roles.forEach(builder::role);
    return new TestkitSts(builder.start(), roles, true);
  }

  /**
   * A sandbox endpoint in the node's account that accepts only the node role's credentials: for
   * servers in the node's host network (the local mode places them as the chart does).
   */
  public static TestkitSts startSandboxForNodeRole(String host, Collection<String> onlyRoles) {
    StsEndpoint.Builder builder = nodeRole(builder(host));
    if (onlyRoles == null) {
      builder.anyRoleInAccount();
    } else {
      new TreeSet<>(onlyRoles).forEach(builder::role);
    }
    return new TestkitSts(builder.start(), Set.of(), false);
  }

  private static StsEndpoint.Builder nodeRole(StsEndpoint.Builder builder) {
    return builder
        .account(NodeIdentity.ACCOUNT_ID)
        .baseCredentials(
            new BaseCredentials(
                NodeIdentity.ACCESS_KEY_ID,
                NodeIdentity.SECRET_ACCESS_KEY,
                NodeIdentity.SESSION_TOKEN,
                NodeIdentity.CALLER_ARN));
  }

  private static StsEndpoint.Builder builder(String host) {
    StsEndpoint.Builder builder = StsEndpoint.builder().port(NodePorts.STS);
    try {
      builder.bind(InetAddress.getByName(host));
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not an address: " + host, e);
    }
    return builder;
  }

  @Override
  public String url() {
    return endpoint.uri().toString().replaceFirst("/$", "");
  }

  @Override
  public String region() {
    return REGION;
  }

  @Override
  public String accountId() {
    return endpoint.account();
  }

  @Override
  public Map<String, String> serverEnvironment() {
    var base = endpoint.baseCredentials().get(0);
    return Map.of(
        "AWS_ACCESS_KEY_ID", base.accessKeyId(),
        "AWS_SECRET_ACCESS_KEY", base.secretAccessKey(),
        "AWS_REGION", REGION);
  }

  @Override
  public void declareRole(String roleName) {
    if (strict && !roles.contains(roleName)) {
      throw new IllegalArgumentException(
          "the testkit STS endpoint was started without role '"
              + roleName
              + "': list it in the node's roles ("
              + roles
              + ")");
    }
  }

  public StsEndpoint endpoint() {
    return endpoint;
  }

  @Override
  public void close() {
    endpoint.close();
  }
}
