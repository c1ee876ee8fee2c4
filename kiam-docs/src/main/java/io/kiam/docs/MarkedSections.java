package io.kiam.docs;

import java.util.Map;

/**
 * Replaces the generated parts of a Markdown file, each between {@code <!-- flags:KEY:begin -->}
 * and {@code <!-- flags:KEY:end -->}, leaving the prose around them as written.
 */
public final class MarkedSections {
  private MarkedSections() {}

  public static String begin(String key) {
    return "<!-- flags:" + key + ":begin -->";
  }

  public static String end(String key) {
    return "<!-- flags:" + key + ":end -->";
  }

  /**
   * The document with every keyed section's body replaced; fails naming the key when a document
   * lacks its markers, so a new subcommand cannot silently go undocumented.
   */
  public static String splice(String document, Map<String, String> sections) {
    String out = document;
    for (Map.Entry<String, String> section : sections.entrySet()) {
      String begin = begin(section.getKey());
      String end = end(section.getKey());
      int from = out.indexOf(begin);
      int to = out.indexOf(end);
      if (from < 0 || to < from) {
        throw new IllegalArgumentException(
            "missing markers " + begin + " ... " + end + " (add them where the table belongs)");
      }
      out = out.substring(0, from + begin.length()) + "\n" + section.getValue() + out.substring(to);
    }
    return out;
  }
}
