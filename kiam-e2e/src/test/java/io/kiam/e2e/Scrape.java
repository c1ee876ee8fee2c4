package io.kiam.e2e;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Reads samples from a daemon's /metrics, as Prometheus would scrape it. */
final class Scrape {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private Scrape() {}

  /** The sample's value, or NaN when the daemon does not answer or has no such sample. */
  static double value(String hostPort, String metric) {
    return sum(hostPort, metric + " ");
  }

  /**
   * The sum of the metric's samples whose labels hold the fragment (e.g. {@code
   * grpc_method="WatchNode"}), or NaN when the daemon does not answer or has none.
   */
  static double value(String hostPort, String metric, String labelFragment) {
    return sum(hostPort, metric + "{", labelFragment);
  }

  private static double sum(String hostPort, String start, String... fragments) {
    try {
      String text =
          HTTP.send(
                  HttpRequest.newBuilder(URI.create("http://" + hostPort + "/metrics"))
                      .timeout(Duration.ofSeconds(2))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      double sum = Double.NaN;
      for (String line : text.split("\n")) {
        if (line.startsWith(start) && java.util.Arrays.stream(fragments).allMatch(line::contains)) {
          double value = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1).strip());
          sum = Double.isNaN(sum) ? value : sum + value;
        }
      }
      return sum;
    } catch (IOException | NumberFormatException e) {
      return Double.NaN;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Double.NaN;
    }
  }
}
