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

/**
 * The local node's namespaces and pods, the daemons' extra flags and the local STS's roles, read
 * from the YAML file a user copies and edits.
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record LocalConfig(
    List<NamespaceEntry> namespaces,
    List<PodEntry> pods,
    DaemonEntry server,
    DaemonEntry agent,
    StsEntry sts) {
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  // the pod's netns is "kjl-" + name and its veth names stay short; 40 keeps `ip netns` readable
  private static final int MAX_POD_NAME = 40;
  private static final Pattern ROLE = Pattern.compile("([\\x21-\\x7E&&[^/]]+/)*[\\w+=,.@-]{1,64}");

  /** A namespace and its iam.amazonaws.com/permitted regex (null: permits nothing). */
  public record NamespaceEntry(String name, String permitted) {}

  /** A pod, its namespace and its iam.amazonaws.com/role annotation (null: none). */
  public record PodEntry(String name, String namespace, String role) {}

  /** Extra command-line flags for a daemon, each a --flag or --flag=value. */
  public record DaemonEntry(List<String> flags) {
    public DaemonEntry {
      flags = List.copyOf(Objects.requireNonNullElse(flags, List.of()));
      for (String flag : flags) {
        if (flag == null || !flag.startsWith("--")) {
          throw new IllegalArgumentException(
              "flags are --name or --name=value, one per list item, not '" + flag + "'");
        }
      }
    }
  }

  /**
   * The local STS's roles: only those listed under roles exist (by default every role of the
   * account does), and those under deny are refused (AccessDenied, as an untrusting role).
   */
  public record StsEntry(List<String> roles, List<String> deny) {
    public StsEntry {
      roles = roles == null ? null : List.copyOf(roles);
      deny = List.copyOf(Objects.requireNonNullElse(deny, List.of()));
      for (String role : Objects.requireNonNullElse(roles, List.<String>of())) {
        requireRole(role);
      }
      deny.forEach(LocalConfig::requireRole);
    }

    /** Whether the local STS lets the server assume the role (name or name with path). */
    public boolean allows(String role) {
      String name = roleName(role);
      return (roles == null || roles.stream().map(LocalConfig::roleName).anyMatch(name::equals))
          && deny.stream().map(LocalConfig::roleName).noneMatch(name::equals);
    }
  }

  public LocalConfig {
    namespaces = List.copyOf(Objects.requireNonNullElse(namespaces, List.of()));
    pods = List.copyOf(Objects.requireNonNullElse(pods, List.of()));
    server = Objects.requireNonNullElse(server, new DaemonEntry(List.of()));
    agent = Objects.requireNonNullElse(agent, new DaemonEntry(List.of()));
    sts = Objects.requireNonNullElse(sts, new StsEntry(null, List.of()));
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

  private static void requireRole(String role) {
    if (role == null || !ROLE.matcher(role).matches()) {
      throw new IllegalArgumentException(
          "sts: '" + role + "' is not a role name (letters, digits and +=,.@_- , optional path)");
    }
  }

  /** The role's name without its path or ARN prefix. */
  static String roleName(String role) {
    return role.substring(role.lastIndexOf('/') + 1);
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
   * (Whether STS then lets the server assume it is {@link StsEntry#allows}.)
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
