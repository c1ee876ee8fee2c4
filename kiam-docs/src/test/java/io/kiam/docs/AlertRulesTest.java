package io.kiam.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The Prometheus rule file parses, each rule is complete, and its metrics exist. */
class AlertRulesTest {
  /**
   * Metrics other exporters provide that alerts may use: cert-manager's certificate expiry (the
   * chart's certManager TLS mode).
   */
  private static final Set<String> EXTERNAL =
      Set.of("certmanager_certificate_expiration_timestamp_seconds");

  private static final List<String> SEVERITIES = List.of("critical", "warning", "info");

  private static JsonNode rules() throws IOException {
    return new ObjectMapper(new YAMLFactory())
        .readTree(Repo.read(Repo.root().resolve("deploy/prometheus/kiam-alerts.yaml")));
  }

  @Test
  void everyRuleIsCompleteAndNamedOnce() throws IOException {
    Set<String> names = new HashSet<>();
    int count = 0;
    for (JsonNode group : rules().path("groups")) {
      assertFalse(group.path("name").asText().isBlank(), "a group without a name");
      for (JsonNode rule : group.path("rules")) {
        String alert = rule.path("alert").asText();
        assertTrue(alert.matches("Kiam[A-Za-z]+"), "alert name '" + alert + "'");
        assertTrue(names.add(alert), "duplicate alert " + alert);
        assertFalse(rule.path("expr").asText().isBlank(), alert + " has no expr");
        assertTrue(
            SEVERITIES.contains(rule.path("labels").path("severity").asText()),
            alert + " severity must be one of " + SEVERITIES);
        assertFalse(rule.path("annotations").path("summary").asText().isBlank(), alert);
        assertFalse(rule.path("annotations").path("description").asText().isBlank(), alert);
        count++;
      }
    }
    assertTrue(count >= 6, "expected the alerts issue 7 asks for, found " + count);
    for (String required :
        List.of(
            "KiamStsAccessDenied",
            "KiamStsFailing",
            "KiamRoleRefusals",
            "KiamAgentsCannotReachServers",
            "KiamCertificateExpiresSoon")) {
      assertTrue(names.contains(required), "missing alert " + required);
    }
  }

  @Test
  void everyQueriedMetricIsRegisteredByTheCode() throws IOException {
    Set<String> known = MetricCatalog.families();
    EXTERNAL.forEach(name -> known.add(PromQlMetrics.family(name)));
    Set<String> unknown = new TreeSet<>();
    for (JsonNode group : rules().path("groups")) {
      for (JsonNode rule : group.path("rules")) {
        for (String name : PromQlMetrics.names(rule.path("expr").asText())) {
          if (!known.contains(PromQlMetrics.family(name))) {
            unknown.add(name + " (" + rule.path("alert").asText() + ")");
          }
        }
      }
    }
    assertEquals(Set.of(), unknown, "metrics no daemon registers");
  }

  @Test
  void runbookLinksResolveToDocs() throws IOException {
    for (JsonNode group : rules().path("groups")) {
      for (JsonNode rule : group.path("rules")) {
        String runbook = rule.path("annotations").path("runbook").asText();
        if (runbook.isEmpty()) {
          continue;
        }
        String file = runbook.contains("#") ? runbook.substring(0, runbook.indexOf('#')) : runbook;
        Path doc = Repo.root().resolve(file);
        assertTrue(Files.exists(doc), rule.path("alert").asText() + ": no " + file);
        if (runbook.contains("#")) {
          String anchor = runbook.substring(runbook.indexOf('#') + 1);
          assertTrue(
              MarkdownLinks.anchors(Repo.read(doc)).contains(anchor),
              rule.path("alert").asText() + ": no #" + anchor + " in " + file);
        }
      }
    }
  }
}
