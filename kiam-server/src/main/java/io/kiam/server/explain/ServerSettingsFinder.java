package io.kiam.server.explain;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Finds the settings explain needs (the base ARN, the session suffix, how namespace expressions
 * match) where they already are: the arguments of a running kiam-server pod, as this chart and
 * uswitch/kiam's chart render them. So the operator need not guess the server's flags.
 */
final class ServerSettingsFinder {
  /** Labels the server pods carry: this chart's, then uswitch/kiam's chart's. */
  static final List<String[]> SELECTORS =
      List.of(
          new String[] {"app.kubernetes.io/component", "server"},
          new String[] {"component", "server"});

  /**
   * What was found, and where, for the operator to see; {@code pod} and {@code container} name the
   * server container whose log may state the base ARN it detected.
   */
  record Found(
      Optional<String> roleBaseArn,
      boolean autodetect,
      Optional<String> session,
      boolean unanchored,
      String source,
      String namespace,
      String pod,
      String container,
      Optional<String> allowedRoleAccounts) {}

  private ServerSettingsFinder() {}

  /** The first running kiam-server's settings, or empty when no server pod is visible. */
  static Optional<Found> find(KubernetesClient client) {
    for (String[] selector : SELECTORS) {
      List<Pod> pods =
          client.pods().inAnyNamespace().withLabel(selector[0], selector[1]).list().getItems();
      Optional<Found> found =
          pods.stream()
              .sorted(Comparator.comparing(ServerSettingsFinder::notRunning))
              .map(ServerSettingsFinder::fromPod)
              .flatMap(Optional::stream)
              .findFirst();
      if (found.isPresent()) {
        return found;
      }
    }
    return Optional.empty();
  }

  private static boolean notRunning(Pod pod) {
    return pod.getStatus() == null || !"Running".equals(pod.getStatus().getPhase());
  }

  /** The settings in one pod's container arguments, if it is a kiam-server. */
  static Optional<Found> fromPod(Pod pod) {
    if (pod.getSpec() == null || pod.getSpec().getContainers() == null) {
      return Optional.empty();
    }
    for (Container container : pod.getSpec().getContainers()) {
      List<String> args = new ArrayList<>();
      if (container.getCommand() != null) {
        args.addAll(container.getCommand());
      }
      if (container.getArgs() != null) {
        args.addAll(container.getArgs());
      }
      Optional<String> base = value(args, "--role-base-arn");
      boolean autodetect = args.contains("--role-base-arn-autodetect");
      if (base.isEmpty() && !autodetect) {
        continue;
      }
      String source =
          "the arguments of kiam-server pod "
              + pod.getMetadata().getNamespace()
              + "/"
              + pod.getMetadata().getName()
              + " (container "
              + container.getName()
              + ")";
      return Optional.of(
          new Found(
              base,
              autodetect,
              value(args, "--session"),
              args.contains("--disable-strict-namespace-regexp"),
              source,
              pod.getMetadata().getNamespace(),
              pod.getMetadata().getName(),
              container.getName(),
              value(args, "--allowed-role-accounts")));
    }
    return Optional.empty();
  }

  /** {@code --flag=value} or {@code --flag value}. */
  static Optional<String> value(List<String> args, String flag) {
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg.startsWith(flag + "=")) {
        return Optional.of(arg.substring(flag.length() + 1));
      }
      if (arg.equals(flag) && i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
        return Optional.of(args.get(i + 1));
      }
    }
    return Optional.empty();
  }
}
