package io.kiam.common.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads durations the way kiam's Go flags wrote them: 15m, 1h30m, 500ms, 90s, 12h. */
public final class DurationConverter implements ITypeConverter<Duration> {
  private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");

  @Override
  public Duration convert(String value) {
    return parse(value);
  }

  /** Parses a Go-style duration; a bare "0" is zero. */
  public static Duration parse(String value) {
    String text = value == null ? "" : value.trim();
    if (text.equals("0")) {
      return Duration.ZERO;
    }
    Matcher m = PART.matcher(text);
    int at = 0;
    Duration total = Duration.ZERO;
    while (at < text.length() && m.find(at) && m.start() == at) {
      double amount = Double.parseDouble(m.group(1));
      long unitMillis =
          switch (m.group(2)) {
            case "ms" -> 1L;
            case "s" -> 1_000L;
            case "m" -> 60_000L;
            default -> 3_600_000L;
          };
      total = total.plusMillis(Math.round(amount * unitMillis));
      at = m.end();
    }
    if (text.isEmpty() || at != text.length()) {
      throw new TypeConversionException(
          "'" + value + "' is not a duration (examples: 500ms, 90s, 15m, 1h30m)");
    }
    return total;
  }

  /** Formats a duration back in the same style, for help texts and logs. */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms == 0) {
      return "0s";
    }
    StringBuilder out = new StringBuilder();
    long h = ms / 3_600_000L;
    long m = ms % 3_600_000L / 60_000L;
    long s = ms % 60_000L / 1000L;
    long rest = ms % 1000L;
    if (h > 0) out.append(h).append('h');
    if (m > 0) out.append(m).append('m');
    if (s > 0) out.append(s).append('s');
    if (rest > 0) out.append(rest).append("ms");
    return out.toString();
  }
}
