package io.kiam.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiam.server.events.EventReason;
import io.kiam.server.explain.ExitCode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** troubleshooting.md covers every Event reason the server writes and every explain exit code. */
class TroubleshootingTest {
  private final String doc = Repo.read(Repo.root().resolve("docs/troubleshooting.md"));

  @Test
  void everyEventReasonHasASection() {
    Set<String> anchors = MarkdownLinks.anchors(doc);
    List<String> missing = new ArrayList<>();
    for (EventReason reason : EventReason.values()) {
      if (!anchors.contains(MarkdownLinks.slug(reason.reason()))) {
        missing.add(reason.reason());
      }
    }
    assertEquals(List.of(), missing, "Event reasons without a '### Reason' section");
  }

  @Test
  void everyExplainExitCodeIsInTheTableWithItsMeaning() {
    List<String> missing = new ArrayList<>();
    for (ExitCode code : ExitCode.values()) {
      String row =
          doc.lines().filter(l -> l.startsWith("| " + code.code() + " | ")).findFirst().orElse("");
      String meaning = row.isEmpty() ? "" : row.split(" \\| ")[1].replace("`", "");
      if (!meaning.equals(code.meaning())) {
        missing.add(code.code() + ": '" + code.meaning() + "' (doc says '" + meaning + "')");
      }
    }
    assertEquals(List.of(), missing, "explain exit codes in troubleshooting.md");
    assertTrue(doc.contains("## `kiam-server explain`"));
  }
}
