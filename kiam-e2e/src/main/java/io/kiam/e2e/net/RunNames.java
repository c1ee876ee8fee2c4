package io.kiam.e2e.net;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * The names one run gives its namespaces and interfaces, all under one short prefix so that a test
 * run never collides with the local mode or a parallel run, and so that leftovers can be found.
 */
public record RunNames(String prefix) {
  /** The local mode's fixed prefix; test runs use "kj" and four random hex digits. */
  public static final String LOCAL_PREFIX = "kjl";

  private static final Pattern PREFIX = Pattern.compile("kj[0-9a-z]{1,4}");

  public RunNames {
    // interface names are at most 15 characters: prefix (<= 6) + "p" + pod index (<= 3 digits)
    if (!PREFIX.matcher(prefix).matches()) {
      throw new IllegalArgumentException("run prefix must match " + PREFIX + ": " + prefix);
    }
  }

  /** A fresh prefix for a test run. */
  public static RunNames random() {
    byte[] bytes = new byte[2];
    new SecureRandom().nextBytes(bytes);
    return new RunNames("kj" + HexFormat.of().formatHex(bytes));
  }

  /** The prefixes of test runs (not the local mode), to find leftovers of crashed runs. */
  public static boolean isTestRunPrefix(String candidate) {
    return candidate.matches("kj[0-9a-f]{4}");
  }

  public String nodeNamespace() {
    return prefix + "-node";
  }

  /** A pod's network namespace, named after the pod so that `ip netns` reads like the cluster. */
  public String podNamespace(String podName) {
    return prefix + "-" + podName;
  }

  /** The veth end in the machine's own namespace. */
  public String uplinkHostSide() {
    return prefix + "h";
  }

  /** The veth end in the node namespace. */
  public String uplinkNodeSide() {
    return prefix + "n";
  }

  /** The node side of a pod's veth: the agent's --host-interface matches these as prefix+. */
  public String podVethNodeSide(int index) {
    return podInterfacePrefix() + index;
  }

  public String podInterfacePrefix() {
    return prefix + "p";
  }

  /** The marker every JVM of this run carries on its command line, to find it after a crash. */
  public String processMarker() {
    return "-Dkiam.e2e.run=" + prefix;
  }
}
