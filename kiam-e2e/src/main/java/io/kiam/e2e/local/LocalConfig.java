package io.kiam.e2e.local;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** The local node's namespaces and pods, read from the YAML file a user copies and edits. */
@JsonIgnoreProperties(ignoreUnknown = false)
public record LocalConfig(List<NamespaceEntry> namespaces, List<PodEntry> pods) {
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  // the pod's netns is "kjl-" + name and its veth names stay short; 40 keeps `ip netns` readable
  private static final int MAX_POD_NAME = 40;

  /** A namespace and its iam.amazonaws.com/permitted regex (null: permits nothing). */
  public record NamespaceEntry(String name, String permitted) {}

  /** A pod, its namespace and its iam.amazonaws.com/role annotation (null: none). */
  public record PodEntry(String name, String namespace, String role) {}

  public LocalConfig {
    namespaces = List.copyOf(Objects.requireNonNullElse(namespaces, List.of()));
    pods = List.copyOf(Objects.requireNonNullElse(pods, List.of()));
    Set<String> namespaceNames = new HashSet<>();
    for (NamespaceEntry namespace : namespaces) {
      requireLabel("namespace name", namespace.name(), 63);
      if (!namespaceNames.add(namespace.name())) {
        throw new IllegalArgumentException("namespace '" + namespace.name() + "' is listed twice");
      }
      if (namespace.permitted() != null) {
        try {
          Pattern.compile(namespace.permitted());
        } catch (PatternSyntaxException e) {
          throw new IllegalArgumentException(
              "namespace '"
                  + namespace.name()
                  + "': permitted is not a regular expression: "
                  + e.getDescription());
        }
      }
    }
    Set<String> podNames = new HashSet<>();
    for (PodEntry pod : pods) {
      requireLabel("pod name", pod.name(), MAX_POD_NAME);
      if (!podNames.add(pod.name())) {
        throw new IllegalArgumentException(
            "pod name '" + pod.name() + "' is used twice (each pod's netns is named after it)");
      }
      if (!namespaceNames.contains(pod.namespace())) {
        throw new IllegalArgumentException(
            "pod '"
                + pod.name()
                + "': namespace '"
                + pod.namespace()
                + "' is not listed under namespaces");
      }
      if (pod.role() != null && pod.role().isBlank()) {
        throw new IllegalArgumentException(
            "pod '" + pod.name() + "': role is empty (leave it out for none)");
      }
    }
    if (pods.size() > 100) {
      throw new IllegalArgumentException("at most 100 pods, not " + pods.size());
    }
  }

  private static void requireLabel(String what, String value, int max) {
    if (value == null || value.length() > max || !DNS_LABEL.matcher(value).matches()) {
      throw new IllegalArgumentException(
          what
              + " '"
              + value
              + "' must be lower-case letters, digits and '-', at most "
              + max
              + " characters");
    }
  }

  /**
   * Whether kiam's policy lets the pod have its role: the namespace regex matches the whole name.
   */
  public boolean permits(PodEntry pod) {
    if (pod.role() == null) {
      return false;
    }
    String role = pod.role().substring(pod.role().lastIndexOf('/') + 1);
    return namespaces.stream()
        .filter(n -> n.name().equals(pod.namespace()) && n.permitted() != null)
        .anyMatch(n -> Pattern.compile(n.permitted()).matcher(role).matches());
  }

  /** Reads and validates a config; every problem is one clear message. */
  public static LocalConfig read(InputStream in, String source) {
    ObjectMapper yaml =
        new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    try {
      LocalConfig config = yaml.readValue(in, LocalConfig.class);
      if (config == null) {
        throw new IllegalArgumentException(source + ": the file is empty");
      }
      return config;
    } catch (IOException e) {
      // a record constructor's own check arrives wrapped by Jackson: show its message alone
      String message =
          e.getCause() instanceof IllegalArgumentException invalid
              ? invalid.getMessage()
              : firstLine(e.getMessage());
      throw new IllegalArgumentException(source + ": " + message, e);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
    }
  }

  private static String firstLine(String message) {
    return message == null ? "unreadable" : message.lines().findFirst().orElse(message);
  }
}
