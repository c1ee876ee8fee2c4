package io.kiam.agent.client;

import java.util.Objects;

/** Credentials issued for the pod at an IP, and which pod that is. */
public record PodCredentials(PodRef pod, IssuedCredentials credentials) {
  public PodCredentials {
    Objects.requireNonNull(pod, "pod");
    Objects.requireNonNull(credentials, "credentials");
  }
}
