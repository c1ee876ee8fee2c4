package io.kiam.e2e.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChartJvmTest {
  private static final Path CHART_VALUES = Path.of("..", "deploy", "helm", "kiam", "values.yaml");

  @Test
  void readsTheChartsOwnJvmSettingsAndMemoryLimits() throws Exception {
    String values = Files.readString(CHART_VALUES);

    ChartJvm chart = ChartJvm.read(CHART_VALUES);

    String server = chart.server().environment().get("JAVA_TOOL_OPTIONS");
    String agent = chart.agent().environment().get("JAVA_TOOL_OPTIONS");
    assertTrue(values.contains(server), () -> "not the chart's server flags: " + server);
    for (String flag : agent.split(" ")) {
      assertTrue(values.contains(flag), () -> "not a chart agent flag: " + flag);
    }
    assertTrue(agent.contains("-Xmx"), agent);
    assertTrue(chart.agent().environment().containsKey("MALLOC_ARENA_MAX"));
    assertTrue(chart.server().maxRamFlag().startsWith("-XX:MaxRAM="), chart.server().maxRamFlag());
  }

  @Test
  void memoryQuantitiesAreKubernetesOnes(@TempDir Path dir) throws Exception {
    Path values = dir.resolve("values.yaml");
    Files.writeString(
        values,
        """
        server: {jvmOptions: "-Xss1m", resources: {limits: {memory: 1Gi}}}
        agent: {jvmOptions: "-Xss256k", resources: {limits: {memory: 192Mi}}}
        """);

    ChartJvm chart = ChartJvm.read(values);

    assertEquals("-XX:MaxRAM=" + (1L << 30), chart.server().maxRamFlag());
    assertEquals("-XX:MaxRAM=" + (192L << 20), chart.agent().maxRamFlag());
    assertThrows(IllegalArgumentException.class, () -> ChartJvm.bytes("1.5G", values));
  }
}
