package io.kiam.testkit.metrics;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A scrape of a Prometheus text endpoint, read as a dashboard would: each family's type, and the
 * label names its samples carry.
 */
public final class Exposition {
  private static final Pattern TYPE = Pattern.compile("# TYPE (\\S+) (\\S+)");
  private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? .*");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"");

  private final Map<String, String> types = new LinkedHashMap<>();
  private final Map<String, Set<Set<String>>> labels = new LinkedHashMap<>();
  private final String text;

  private Exposition(String text) {
    this.text = text;
    for (String line : text.split("\n")) {
      Matcher type = TYPE.matcher(line);
      if (type.matches()) {
        types.put(type.group(1), type.group(2));
        continue;
      }
      if (line.startsWith("#") || line.isBlank()) {
        continue;
      }
      Matcher sample = SAMPLE.matcher(line);
      if (sample.matches()) {
        Set<String> names = new TreeSet<>();
        if (sample.group(3) != null) {
          Matcher label = LABEL.matcher(sample.group(3));
          while (label.find()) {
            names.add(label.group(1));
          }
        }
        labels.computeIfAbsent(sample.group(1), k -> new LinkedHashSet<>()).add(names);
      }
    }
  }

  /** Parses exposition text. */
  public static Exposition parse(String text) {
    return new Exposition(text);
  }

  /** GETs {@code url} (a /metrics endpoint) and parses it. */
  public static Exposition scrape(URI url) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    try {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10)).build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IllegalStateException(url + " answered " + response.statusCode());
      }
      return parse(response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted scraping " + url, e);
    }
  }

  /**
   * The declared type of a family by its full name (a counter is found as {@code x_total} or {@code
   * x}, whichever way the exposition spells it).
   */
  public Optional<String> type(String name) {
    if (types.containsKey(name)) {
      return Optional.of(types.get(name));
    }
    if (name.endsWith("_total")) {
      return Optional.ofNullable(types.get(name.substring(0, name.length() - "_total".length())));
    }
    return Optional.empty();
  }

  /**
   * The label-name sets the family's samples carry (for a histogram, its {@code _count} samples),
   * empty when it has no sample yet.
   */
  public Set<Set<String>> labelNames(String name, String type) {
    String sample = type.equals("histogram") ? name + "_count" : name;
    return labels.getOrDefault(sample, Set.of());
  }

  /** The raw text, for failure messages. */
  public String text() {
    return text;
  }
}
