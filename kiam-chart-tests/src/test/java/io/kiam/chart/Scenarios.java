package io.kiam.chart;

import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/**
 * The value sets a user is expected to install with: the defaults and each documented alternative.
 */
final class Scenarios {
  static final String CERT_MANAGER_SELF_SIGNED = "tls:\n  mode: certManager\n";

  static final String CERT_MANAGER_CLUSTER_ISSUER =
      """
      tls:
        mode: certManager
        certManager:
          issuerRef:
            name: corporate-ca
            kind: ClusterIssuer
      """;

  static final String EXISTING_SECRETS =
      """
      tls:
        mode: existing
        existing:
          serverSecret: my-kiam-server
          agentSecret: my-kiam-agent
      """;

  static final String METRICS =
      """
      server:
        metrics:
          enabled: true
      agent:
        metrics:
          enabled: true
      metrics:
        serviceMonitor:
          enabled: true
          labels:
            release: prometheus
      """;

  static final String AWS_VPC_CNI =
      """
      agent:
        hostInterfaces: ["eni+"]
        iptables:
          removeOnShutdown: true
        requireImdsv2: true
        allowRouteRegexp: "^/latest/meta-data/placement/availability-zone$"
        metadataEndpoint: http://169.254.169.254
      """;

  static final String EXPLICIT_AWS =
      """
      nodeIdentity:
        enabled: true
      server:
        roleBaseArn: arn:aws:iam::123456789012:role/kiam/
        allowedRoleAccounts: "210987654321,111122223333"
        assumeRoleArn: arn:aws:iam::123456789012:role/kiam-server
        region: eu-west-1
        stsEndpoint: https://sts.eu-west-1.amazonaws.com
        session: platform
        sessionDuration: 2h
        sessionRefresh: 20m
        log:
          format: json
          level: debug
        serviceAccount:
          annotations:
            eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/kiam-server
        nodeSelector:
          eks.amazonaws.com/nodegroup: kiam-servers
        tolerations: []
        podAntiAffinity: soft
        priorityClassName: system-cluster-critical
      agent:
        log:
          format: json
      """;

  private Scenarios() {}

  static Stream<Arguments> all() {
    return Stream.of(
        Arguments.of("defaults", ""),
        Arguments.of("cert-manager, self-signed CA", CERT_MANAGER_SELF_SIGNED),
        Arguments.of("cert-manager, ClusterIssuer", CERT_MANAGER_CLUSTER_ISSUER),
        Arguments.of("existing Secrets", EXISTING_SECRETS),
        Arguments.of("metrics and ServiceMonitors", METRICS),
        Arguments.of("AWS VPC CNI (eni+), IMDSv2 only", AWS_VPC_CNI),
        Arguments.of("explicit ARNs, region, IRSA, node group", EXPLICIT_AWS));
  }
}
