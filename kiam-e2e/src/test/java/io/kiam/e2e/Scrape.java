package io.kiam.e2e;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Reads one unlabelled sample from a daemon's /metrics, as Prometheus would scrape it. */
final class Scrape {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private Scrape() {}

  /** The sample's value, or NaN when the daemon does not answer or has no such sample. */
  static double value(String hostPort, String metric) {
    try {
      String text =
          HTTP.send(
                  HttpRequest.newBuilder(URI.create("http://" + hostPort + "/metrics"))
                      .timeout(Duration.ofSeconds(2))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      for (String line : text.split("\n")) {
        if (line.startsWith(metric + " ")) {
          return Double.parseDouble(line.substring(metric.length() + 1).strip());
        }
      }
      return Double.NaN;
    } catch (IOException | NumberFormatException e) {
      return Double.NaN;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Double.NaN;
    }
  }
}
