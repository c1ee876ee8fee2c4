package io.kiam.docs;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Picks the metric names out of a PromQL expression (dashboard panels, alert rules), so a test can
 * check each against the metrics the daemons really register.
 */
public final class PromQlMetrics {
  private static final Set<String> KEYWORDS =
      Set.of(
          "by",
          "without",
          "on",
          "ignoring",
          "group_left",
          "group_right",
          "bool",
          "and",
          "or",
          "unless",
          "offset",
          "inf",
          "nan");
  private static final Pattern IDENTIFIER =
      Pattern.compile("(?<![\\w$.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\\w])(\\s*\\()?");

  private PromQlMetrics() {}

  /** Metric names as written in the expression (with _total, _bucket, ... suffixes). */
  public static Set<String> names(String expr) {
    String text =
        expr.replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"")
            .replaceAll("'(\\\\.|[^'\\\\])*'", "''")
            .replaceAll("\\{[^}]*}", "{}")
            .replaceAll("\\[[^\\]]*]", "[]")
            .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ")
            .replaceAll("\\$\\{?\\w+}?", " ");
    Set<String> out = new LinkedHashSet<>();
    Matcher m = IDENTIFIER.matcher(text);
    while (m.find()) {
      String word = m.group(1);
      boolean isFunctionCall = m.group(2) != null;
      if (!isFunctionCall && !KEYWORDS.contains(word.toLowerCase(java.util.Locale.ROOT))) {
        out.add(word);
      }
    }
    return out;
  }

  /**
   * The family name a registry knows the sample by: {@code x_total}, {@code x_bucket}, {@code
   * x_count}, {@code x_sum}, {@code x_created} and {@code x_info} all come from {@code x}.
   */
  public static String family(String sampleName) {
    return sampleName.replaceFirst("_(total|bucket|count|sum|created|info)$", "");
  }
}
