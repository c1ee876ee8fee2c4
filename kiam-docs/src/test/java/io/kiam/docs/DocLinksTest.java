package io.kiam.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DocLinksTest {
  private final Path root = Repo.root();

  @Test
  void everyRelativeLinkInDocsAndReadmeResolves() {
    List<Path> pages = new ArrayList<>(Repo.files(root.resolve("docs"), ".md"));
    pages.add(root.resolve("README.md"));
    List<String> broken = new ArrayList<>();
    int checked = 0;
    for (Path page : pages) {
      for (String target : MarkdownLinks.targets(Repo.read(page))) {
        if (MarkdownLinks.isExternal(target)) {
          continue;
        }
        checked++;
        String problem = problem(page, target);
        if (problem != null) {
          broken.add(root.relativize(page) + ": " + target + " (" + problem + ")");
        }
      }
    }
    assertTrue(checked > 20, "expected the docs to link to each other, checked " + checked);
    assertEquals(List.of(), broken, "broken links");
  }

  @Test
  void docsIndexLinksEveryPage() {
    String index = Repo.read(root.resolve("docs/README.md"));
    List<String> missing = new ArrayList<>();
    for (Path page : Repo.files(root.resolve("docs"), ".md")) {
      String name = root.resolve("docs").relativize(page).toString();
      if (!name.equals("README.md") && !index.contains("(" + name + ")")) {
        missing.add(name);
      }
    }
    assertEquals(List.of(), missing, "pages the docs/README.md index does not list");
  }

  @Test
  void checkerNoticesAMissingFileAndAMissingAnchor() {
    Path page = root.resolve("docs/README.md");
    assertFalse(problem(page, "no-such-page.md") == null);
    assertFalse(problem(page, "operations.md#no-such-heading") == null);
    assertEquals(null, problem(page, "operations.md"));
  }

  /** Null when the target resolves; else what is wrong with it. */
  private String problem(Path page, String target) {
    int hash = target.indexOf('#');
    String file = hash < 0 ? target : target.substring(0, hash);
    String anchor = hash < 0 ? null : target.substring(hash + 1);
    Path resolved =
        file.isEmpty()
            ? page
            : page.getParent().resolve(URLDecoder.decode(file, StandardCharsets.UTF_8)).normalize();
    if (!resolved.startsWith(root)) {
      return "points outside the repository";
    }
    if (!Files.exists(resolved)) {
      return "no such file";
    }
    if (anchor != null && resolved.toString().endsWith(".md")) {
      if (!MarkdownLinks.anchors(Repo.read(resolved)).contains(anchor)) {
        return "no heading with anchor #" + anchor;
      }
    }
    return null;
  }
}
