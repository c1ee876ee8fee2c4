package io.kiam.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The JSON policies and YAML manifests in docs/ are valid, so a reader can paste them as they are.
 */
class CodeBlocksTest {
  private static final Pattern FENCE =
      Pattern.compile("^```(json|yaml)\\s*\\n(.*?)^```", Pattern.MULTILINE | Pattern.DOTALL);

  @Test
  void everyJsonAndYamlBlockParses() {
    List<String> broken = new ArrayList<>();
    int json = 0;
    for (Path page : Repo.files(Repo.root().resolve("docs"), ".md")) {
      Matcher m = FENCE.matcher(Repo.read(page));
      while (m.find()) {
        String where = Repo.root().relativize(page) + " (" + m.group(1) + " block)";
        try {
          if (m.group(1).equals("json")) {
            new ObjectMapper().readTree(m.group(2));
            json++;
          } else {
            new YAMLMapper(new YAMLFactory())
                .readValues(new YAMLFactory().createParser(m.group(2)), JsonNode.class)
                .readAll();
          }
        } catch (Exception e) {
          broken.add(where + ": " + e.getMessage().lines().findFirst().orElse(""));
        }
      }
    }
    assertTrue(json >= 6, "expected iam.md's policies, found " + json + " JSON blocks");
    assertEquals(List.of(), broken);
  }

  @Test
  void iamPoliciesHaveTheirVersionAndStatements() throws Exception {
    Matcher m = FENCE.matcher(Repo.read(Repo.root().resolve("docs/iam.md")));
    int documents = 0;
    while (m.find()) {
      if (!m.group(1).equals("json")) {
        continue;
      }
      JsonNode policy = new ObjectMapper().readTree(m.group(2));
      if (policy.has("Statement")) {
        assertEquals("2012-10-17", policy.path("Version").asText(), m.group(2));
        for (JsonNode statement : policy.path("Statement")) {
          assertTrue(statement.has("Effect") && statement.has("Action"), statement.toString());
        }
        documents++;
      }
    }
    assertTrue(documents >= 5, "found " + documents + " complete policies in iam.md");
  }
}
