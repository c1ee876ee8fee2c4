package io.kiam.docs;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

class MetricCatalogTest {
  @Test
  void findsTheDaemonsMetricsAndTheJvms() {
    Set<String> families = MetricCatalog.families();
    assertTrue(families.contains("kiam_sts_assume_role_calls"), families.toString());
    assertTrue(families.contains("kiam_agent_http_requests"), families.toString());
    assertTrue(families.contains("jvm_memory_used_bytes"), families.toString());
    assertTrue(families.contains("process_cpu_seconds"), families.toString());
  }
}
