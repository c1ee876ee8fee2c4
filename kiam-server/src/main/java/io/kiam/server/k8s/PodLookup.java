package io.kiam.server.k8s;

import java.util.List;
import java.util.stream.Collectors;

/** The answer to "which pod has this IP": exactly one, none, or more than one live claimant. */
public sealed interface PodLookup {
  /** Exactly one live pod owns the IP. */
  record Found(PodInfo pod) implements PodLookup {}

  /** No live pod owns the IP (after any wait for the watch to catch up). */
  record NotFound(String ip) implements PodLookup {}

  /** More than one live pod claims the IP: an error, never a coin toss. */
  record Ambiguous(String ip, List<PodInfo> pods) implements PodLookup {
    public Ambiguous {
      pods = List.copyOf(pods);
    }

    /** "ip 10.0.0.7 is claimed by live pods a/x and b/y", naming every claimant. */
    public String explanation() {
      return "IP "
          + ip
          + " is claimed by more than one live pod: "
          + pods.stream().map(PodInfo::qualifiedName).sorted().collect(Collectors.joining(", "));
    }
  }
}
