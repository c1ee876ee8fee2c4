package io.kiam.docs;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a Markdown file the way a link checker needs: the link targets outside code, and the
 * anchors its headings get on GitHub.
 */
public final class MarkdownLinks {
  private static final Pattern INLINE_LINK = Pattern.compile("!?\\[[^\\]]*]\\(([^)\\s]+)[^)]*\\)");
  private static final Pattern REFERENCE_DEF =
      Pattern.compile("^\\s{0,3}\\[[^\\]]+]:\\s+(\\S+)", Pattern.MULTILINE);
  private static final Pattern HEADING = Pattern.compile("^#{1,6}\\s+(.*?)\\s*#*\\s*$");
  private static final Pattern CODE_SPAN = Pattern.compile("`[^`]*`");

  private MarkdownLinks() {}

  /** Link targets in the text, code blocks and code spans left out. */
  public static List<String> targets(String markdown) {
    String prose = withoutCode(markdown);
    List<String> out = new ArrayList<>();
    Matcher inline = INLINE_LINK.matcher(prose);
    while (inline.find()) {
      out.add(inline.group(1));
    }
    Matcher reference = REFERENCE_DEF.matcher(prose);
    while (reference.find()) {
      out.add(reference.group(1));
    }
    return out;
  }

  /** Whether a target leaves the repository (a URL or a mail address) and is not checked here. */
  public static boolean isExternal(String target) {
    return target.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*");
  }

  /** The anchors GitHub generates for the file's headings, duplicates numbered -1, -2, ... */
  public static Set<String> anchors(String markdown) {
    Set<String> out = new HashSet<>();
    Map<String, Integer> seen = new HashMap<>();
    boolean fenced = false;
    for (String line : markdown.split("\n", -1)) {
      if (line.stripLeading().startsWith("```")) {
        fenced = !fenced;
        continue;
      }
      Matcher heading = HEADING.matcher(line);
      if (fenced || !heading.matches()) {
        continue;
      }
      String slug = slug(heading.group(1));
      int count = seen.merge(slug, 1, Integer::sum);
      out.add(count == 1 ? slug : slug + "-" + (count - 1));
    }
    return out;
  }

  /** GitHub's heading slug: lower case, punctuation dropped, spaces to hyphens. */
  public static String slug(String heading) {
    String text = heading.replaceAll("`", "").replaceAll("\\[([^\\]]*)]\\([^)]*\\)", "$1");
    return text.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}_ -]", "").replace(' ', '-');
  }

  private static String withoutCode(String markdown) {
    StringBuilder out = new StringBuilder();
    boolean fenced = false;
    for (String line : markdown.split("\n", -1)) {
      if (line.stripLeading().startsWith("```")) {
        fenced = !fenced;
        out.append('\n');
        continue;
      }
      boolean indentedCode = line.startsWith("    ") && !line.stripLeading().startsWith("-");
      if (!fenced && !indentedCode) {
        out.append(CODE_SPAN.matcher(line).replaceAll("``"));
      }
      out.append('\n');
    }
    return out.toString();
  }
}
