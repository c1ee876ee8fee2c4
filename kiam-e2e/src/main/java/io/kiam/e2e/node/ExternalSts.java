package io.kiam.e2e.node;

import io.kiam.e2e.net.TcpRelay;
import java.net.URI;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real STS endpoint: kiam-server gets the user's AWS credentials from the environment given, and
 * the pods reach the endpoint by its own name through a relay on the machine's uplink address.
 */
public final class ExternalSts implements StsHandle {
  private static final Logger log = LoggerFactory.getLogger(ExternalSts.class);

  private final URI url;
  private final String region;
  private final String accountId;
  private final Map<String, String> serverEnvironment;
  private final TcpRelay relay;
  private final Map<String, String> podHosts;

  private ExternalSts(
      URI url,
      String region,
      String accountId,
      Map<String, String> serverEnvironment,
      TcpRelay relay,
      Map<String, String> podHosts) {
    this.url = url;
    this.region = region;
    this.accountId = accountId;
    this.serverEnvironment = Map.copyOf(serverEnvironment);
    this.relay = relay;
    this.podHosts = podHosts;
  }

  /** Uses the endpoint; relays the pods' connections to it from relayHost (the uplink address). */
  public static ExternalSts start(
      URI url,
      String region,
      String accountId,
      Map<String, String> serverEnvironment,
      String relayHost) {
    Objects.requireNonNull(region, "region");
    Objects.requireNonNull(accountId, "accountId (needed for --role-base-arn)");
    String host = url.getHost();
    if (host == null || host.matches("[0-9.]+") || host.contains(":")) {
      log.atWarn()
          .addKeyValue("sts.endpoint", url)
          .log("the STS endpoint is an address, not a name: pods cannot be pointed at a relay");
      return new ExternalSts(url, region, accountId, serverEnvironment, null, Map.of());
    }
    int port = url.getPort() != -1 ? url.getPort() : "https".equals(url.getScheme()) ? 443 : 80;
    TcpRelay relay = TcpRelay.start(relayHost, port, host, port);
    return new ExternalSts(
        url, region, accountId, serverEnvironment, relay, Map.of(host, relayHost));
  }

  @Override
  public String url() {
    return url.toString();
  }

  @Override
  public String region() {
    return region;
  }

  @Override
  public String accountId() {
    return accountId;
  }

  @Override
  public Map<String, String> serverEnvironment() {
    return serverEnvironment;
  }

  @Override
  public Map<String, String> podHosts() {
    return podHosts;
  }

  @Override
  public void declareRole(String roleName) {
    // real IAM: the roles and their trust policies are the user's to set up
  }

  @Override
  public void close() {
    if (relay != null) {
      relay.close();
    }
  }
}
