package io.kiam.e2e.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The JVM settings the Helm chart gives each daemon, read from the chart's values.yaml itself: its
 * JAVA_TOOL_OPTIONS, its environment (MALLOC_ARENA_MAX), and its container memory limit, which a
 * JVM outside a container is told with -XX:MaxRAM so that percentage-sized heaps come out the same.
 */
public record ChartJvm(Daemon server, Daemon agent) {
  private static final Pattern QUANTITY = Pattern.compile("(\\d+)(Ki|Mi|Gi)?");

  /** One daemon's settings: the environment to add and the JVM flag standing in for the limit. */
  public record Daemon(Map<String, String> environment, String maxRamFlag) {
    public Daemon {
      environment = Map.copyOf(environment);
    }
  }

  /** Reads deploy/helm/kiam/values.yaml (or a copy a user points at). */
  public static ChartJvm read(Path valuesYaml) {
    JsonNode values;
    try {
      values = new ObjectMapper(new YAMLFactory()).readTree(valuesYaml.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the chart's values " + valuesYaml, e);
    }
    return new ChartJvm(daemon(values, "server", valuesYaml), daemon(values, "agent", valuesYaml));
  }

  private static Daemon daemon(JsonNode values, String name, Path source) {
    JsonNode daemon = values.path(name);
    String options = daemon.path("jvmOptions").asText(null);
    if (options == null || options.isBlank()) {
      throw new IllegalArgumentException(source + ": " + name + ".jvmOptions is missing");
    }
    Map<String, String> environment = new LinkedHashMap<>();
    environment.put("JAVA_TOOL_OPTIONS", options.strip().replaceAll("\\s+", " "));
    if (daemon.has("mallocArenaMax")) {
      environment.put("MALLOC_ARENA_MAX", daemon.path("mallocArenaMax").asText());
    }
    String limit = daemon.path("resources").path("limits").path("memory").asText(null);
    return new Daemon(environment, limit == null ? null : "-XX:MaxRAM=" + bytes(limit, source));
  }

  /** A Kubernetes memory quantity (512Mi, 1Gi, 268435456) in bytes. */
  static long bytes(String quantity, Path source) {
    Matcher m = QUANTITY.matcher(quantity.strip());
    if (!m.matches()) {
      throw new IllegalArgumentException(source + ": memory limit not understood: " + quantity);
    }
    long number = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "" : m.group(2);
    return switch (unit) {
      case "Ki" -> number << 10;
      case "Mi" -> number << 20;
      case "Gi" -> number << 30;
      default -> number;
    };
  }
}
