package io.kiam.server.sts;

import io.kiam.testkit.sts.BaseCredentials;
import io.kiam.testkit.sts.StsEndpoint;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/** The production SDK gateway pointed at a testkit STS endpoint, signing with its base keys. */
final class TestkitGateways {
  private TestkitGateways() {}

  static SdkStsGateway gateway(StsEndpoint sts) {
    return gateway(sts, Optional.empty(), StsGateways.DEFAULT_CALL_TIMEOUT);
  }

  static SdkStsGateway gateway(StsEndpoint sts, Optional<String> assumeRoleArn, Duration timeout) {
    return StsGateways.create(
        "us-east-1",
        Optional.of(sts.uri()),
        assumeRoleArn,
        timeout,
        baseIdentity(sts),
        Clock.systemUTC());
  }

  static Supplier<AwsCredentialsProvider> baseIdentity(StsEndpoint sts) {
    BaseCredentials base = sts.baseCredentials().get(0);
    return () ->
        StaticCredentialsProvider.create(
            AwsBasicCredentials.create(base.accessKeyId(), base.secretAccessKey()));
  }
}
