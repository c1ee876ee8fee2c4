package io.kiam.server.explain;

import java.net.URI;
import java.util.Objects;
import java.util.Optional;

/** The server's STS flags as explain takes them: region, endpoint, and the role assumed first. */
record StsSettings(String region, Optional<URI> endpoint, Optional<String> assumeRoleArn) {
  StsSettings {
    Objects.requireNonNull(region, "region");
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(assumeRoleArn, "assumeRoleArn");
  }
}
