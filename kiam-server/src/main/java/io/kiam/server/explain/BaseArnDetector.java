package io.kiam.server.explain;

import io.kiam.server.sts.InstanceProfileBaseArn;
import java.time.Duration;

/** Finds the base ARN as {@code --role-base-arn-autodetect} does: from the EC2 instance profile. */
@FunctionalInterface
interface BaseArnDetector {
  String detect();

  /** The server's own detector against the machine's instance metadata service. */
  static BaseArnDetector real() {
    return () ->
        new InstanceProfileBaseArn(InstanceProfileBaseArn.EC2_METADATA, Duration.ofSeconds(2))
            .detect();
  }
}
