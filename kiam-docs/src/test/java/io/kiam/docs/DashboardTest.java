package io.kiam.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The Grafana dashboard parses and queries only metrics the daemons (or their JVMs) expose. */
class DashboardTest {
  private static JsonNode dashboard() throws IOException {
    return new ObjectMapper()
        .readTree(Repo.read(Repo.root().resolve("deploy/grafana/kiam-dashboard.json")));
  }

  private static List<JsonNode> panels(JsonNode node) {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode panel : node.path("panels")) {
      out.add(panel);
      out.addAll(panels(panel));
    }
    return out;
  }

  @Test
  void everyQueriedMetricIsRegisteredByTheCode() throws IOException {
    Set<String> known = MetricCatalog.families();
    Set<String> unknown = new TreeSet<>();
    int queries = 0;
    for (JsonNode panel : panels(dashboard())) {
      for (JsonNode target : panel.path("targets")) {
        String expr = target.path("expr").asText();
        assertFalse(expr.isBlank(), "panel '" + panel.path("title").asText() + "' has no query");
        queries++;
        for (String name : PromQlMetrics.names(expr)) {
          if (!known.contains(PromQlMetrics.family(name))) {
            unknown.add(name + " (panel '" + panel.path("title").asText() + "')");
          }
        }
      }
    }
    assertTrue(queries >= 15, "expected a dashboard worth the name, found " + queries + " queries");
    assertEquals(Set.of(), unknown, "metrics no daemon registers; known: " + known);
  }

  @Test
  void panelsAreUniqueAndUseTheDatasourceVariable() throws IOException {
    JsonNode dashboard = dashboard();
    assertEquals("kiam-java", dashboard.path("uid").asText());
    Set<Integer> ids = new HashSet<>();
    for (JsonNode panel : panels(dashboard)) {
      assertTrue(ids.add(panel.path("id").asInt()), "duplicate panel id " + panel.path("id"));
      if (!panel.path("type").asText().equals("row")) {
        assertEquals("${datasource}", panel.path("datasource").path("uid").asText());
        assertFalse(panel.path("title").asText().isBlank());
      }
    }
    boolean hasVariable = false;
    for (JsonNode variable : dashboard.path("templating").path("list")) {
      hasVariable |= variable.path("name").asText().equals("datasource");
    }
    assertTrue(hasVariable, "the datasource variable the panels use is missing");
  }

  @Test
  void coversEveryKiamMetricTheCodeRegisters() throws IOException {
    Set<String> queried = new TreeSet<>();
    for (JsonNode panel : panels(dashboard())) {
      for (JsonNode target : panel.path("targets")) {
        PromQlMetrics.names(target.path("expr").asText())
            .forEach(n -> queried.add(PromQlMetrics.family(n)));
      }
    }
    Set<String> missing = new TreeSet<>(MetricCatalog.fromSources());
    missing.removeAll(queried);
    missing.removeAll(MetricCatalog.KIAM_V4_NAMES);
    assertEquals(Set.of(), missing, "kiam metrics the dashboard does not show");
  }
}
