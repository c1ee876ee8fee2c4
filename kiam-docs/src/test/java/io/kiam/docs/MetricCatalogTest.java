package io.kiam.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

  @Test
  void operationsMdDocumentsExactlyTheKiamMetricsTheCodeRegisters() {
    String doc = Repo.read(Repo.root().resolve("docs/operations.md"));
    Set<String> documented = new TreeSet<>();
    Matcher m = Pattern.compile("`((?:kiam|grpc_server|grpc_client)_[a-z0-9_]+)`").matcher(doc);
    while (m.find()) {
      documented.add(PromQlMetrics.family(m.group(1)));
    }
    assertEquals(
        MetricCatalog.fromSources(),
        documented,
        "docs/operations.md's metric tables against the metrics the daemons register");
  }
}
