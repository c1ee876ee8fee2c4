package io.kiam.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MarkdownLinksTest {
  @Test
  void findsInlineAndReferenceLinksButNotCode() {
    String md =
        """
        See [ops](operations.md#metrics) and ![img](a.png "title").
        Not `[this](code.md)`.
        ```
        [nor](fenced.md)
        ```
        [ref]: security.md
        """;
    assertEquals(
        List.of("operations.md#metrics", "a.png", "security.md"), MarkdownLinks.targets(md));
  }

  @Test
  void anchorsFollowGithubSlugs() {
    String md =
        """
        # Metrics and what to alert on
        ## `--session-refresh`: why 30 min?
        ## Metrics and what to alert on
        ```
        # not a heading
        ```
        """;
    Set<String> anchors = MarkdownLinks.anchors(md);
    assertTrue(anchors.contains("metrics-and-what-to-alert-on"), anchors.toString());
    assertTrue(anchors.contains("--session-refresh-why-30-min"), anchors.toString());
    assertTrue(anchors.contains("metrics-and-what-to-alert-on-1"), anchors.toString());
    assertEquals(3, anchors.size(), anchors.toString());
  }

  @Test
  void urlsAreExternal() {
    assertTrue(MarkdownLinks.isExternal("https://github.com/uswitch/kiam"));
    assertTrue(MarkdownLinks.isExternal("mailto:x@example.com"));
    assertEquals(false, MarkdownLinks.isExternal("../deploy/helm/kiam/values.yaml"));
  }
}
