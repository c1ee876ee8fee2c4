package io.kiam.server.explain;

import io.kiam.server.sts.IssuedCredentials;
import io.kiam.server.sts.RoleRequest;
import io.kiam.server.sts.SdkStsGateway;
import io.kiam.server.sts.StsGateway;
import io.kiam.server.sts.StsGateways;
import java.time.Clock;
import java.time.Duration;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;

/** Builds the server's own STS gateway for one explain run, from the server's STS flags. */
@FunctionalInterface
interface StsGatewayFactory {
  OpenGateway create(StsSettings settings);

  /** A gateway explain closes when done (it owns an HTTP client and credential providers). */
  interface OpenGateway extends StsGateway, AutoCloseable {
    @Override
    void close();
  }

  /** The server's gateway, signing as this machine's default provider chain, as the server does. */
  static StsGatewayFactory real() {
    return withIdentity(() -> DefaultCredentialsProvider.builder().build());
  }

  /** The server's gateway signing as {@code identity} (tests use the testkit's keys). */
  static StsGatewayFactory withIdentity(Supplier<AwsCredentialsProvider> identity) {
    return settings -> {
      SdkStsGateway gateway =
          StsGateways.create(
              settings.region(),
              settings.endpoint(),
              settings.assumeRoleArn(),
              StsGateways.DEFAULT_CALL_TIMEOUT,
              identity,
              Clock.systemUTC());
      return new OpenGateway() {
        @Override
        public IssuedCredentials assumeRole(RoleRequest request, Duration sessionDuration) {
          return gateway.assumeRole(request, sessionDuration);
        }

        @Override
        public void close() {
          gateway.close();
        }
      };
    };
  }
}
