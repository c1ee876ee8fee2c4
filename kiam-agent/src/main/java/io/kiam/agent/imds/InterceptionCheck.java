package io.kiam.agent.imds;

import java.util.Optional;

/** Whether the node's traffic for 169.254.169.254 is steered to this agent (the DNAT rule). */
@FunctionalInterface
public interface InterceptionCheck {
  /** Empty when in place, else why not. May block briefly: it runs on a blocking executor. */
  Optional<String> problem();

  /** For agents started without --iptables: nothing of ours to check. */
  static InterceptionCheck notManaged() {
    return Optional::empty;
  }
}
