package io.kiam.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiam.server.k8s.NamespaceInfo;
import io.kiam.server.k8s.PodInfo;
import io.kiam.server.k8s.PodPhase;
import io.kiam.server.policy.Decision;
import io.kiam.server.policy.RolePolicy;
import io.kiam.server.sts.DefaultArnResolver;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The examples in docs/annotations.md are run through the server's own ARN resolver and policy, so
 * the page cannot promise what the code does not do.
 */
class AnnotationExamplesTest {
  private static final String BASE = "arn:aws:iam::123456789012:role/";
  private static final DefaultArnResolver RESOLVER = new DefaultArnResolver(BASE);
  private static final Pattern CODE = Pattern.compile("`([^`]+)`");

  /** A cell that is only code items, optionally followed by a parenthesised remark. */
  private static final Pattern LIST_CELL = Pattern.compile("(`[^`]+`(, )?)+( \\(.*\\))?");

  private static List<String[]> rows(String header) {
    String doc = Repo.read(Repo.root().resolve("docs/annotations.md"));
    int at = doc.indexOf(header);
    assertTrue(at >= 0, "docs/annotations.md lost its table " + header);
    List<String[]> rows = new ArrayList<>();
    String[] lines = doc.substring(at).split("\n");
    for (int i = 2; i < lines.length && lines[i].startsWith("|"); i++) {
      String line = lines[i].replace("\\|", "\u0000");
      String[] cells = line.substring(1, line.length() - 1).split("\\|");
      for (int c = 0; c < cells.length; c++) {
        cells[c] = cells[c].trim().replace('\u0000', '|');
      }
      rows.add(cells);
    }
    return rows;
  }

  /** The code items of a cell that lists examples; empty for prose. */
  private static List<String> items(String cell) {
    List<String> out = new ArrayList<>();
    if (!LIST_CELL.matcher(cell).matches()) {
      return out;
    }
    String listPart = cell.contains(" (") ? cell.substring(0, cell.indexOf(" (")) : cell;
    Matcher m = CODE.matcher(listPart);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  @Test
  void roleFormsResolveAsDocumented() {
    int checked = 0;
    for (String[] row : rows("| annotation | role ARN |")) {
      List<String> annotation = items(row[0]);
      List<String> arn = items(row[1]);
      assertEquals(1, annotation.size(), String.join(" | ", row));
      assertEquals(arn.get(0), RESOLVER.resolve(annotation.get(0)), String.join(" | ", row));
      checked++;
    }
    assertTrue(checked >= 5, "checked " + checked + " role forms");
  }

  @Test
  void namespaceExpressionsPermitAndRefuseAsDocumented() {
    int checked = 0;
    for (String[] row : rows("| `iam.amazonaws.com/permitted` | permits | refuses |")) {
      List<String> expression = items(row[0]);
      if (expression.size() != 1) {
        continue; // "(absent)"
      }
      NamespaceInfo ns = NamespaceInfo.of("ns", expression.get(0), "1");
      for (String role : items(row[1])) {
        Decision d = decide(ns, role);
        assertTrue(
            d instanceof Decision.Allowed,
            "'" + expression.get(0) + "' should permit '" + role + "': " + d.explanation());
        checked++;
      }
      for (String role : items(row[2])) {
        Decision d = decide(ns, role);
        assertTrue(
            d instanceof Decision.Forbidden,
            "'" + expression.get(0) + "' should refuse '" + role + "': " + d.explanation());
        checked++;
      }
    }
    assertTrue(checked >= 15, "checked only " + checked + " examples");
  }

  private static Decision decide(NamespaceInfo ns, String role) {
    PodInfo pod =
        new PodInfo(
            "uid-1",
            "ns",
            "pod",
            List.of("10.0.0.1"),
            PodPhase.RUNNING,
            false,
            false,
            role,
            null,
            null,
            "default",
            "1");
    return RolePolicy.decide(pod, Optional.of(ns), role, RESOLVER);
  }
}
