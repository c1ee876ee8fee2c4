package io.kiam.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Set;
import org.junit.jupiter.api.Test;

class PromQlMetricsTest {
  @Test
  void picksMetricNamesNotFunctionsLabelsOrKeywords() {
    String expr =
        "histogram_quantile(0.99, sum by (le) (rate(kiam_sts_assume_role_seconds_bucket"
            + "{job=~\"$job\", outcome!=\"x_total\"}[$__rate_interval]))) > 1e3"
            + " and on (instance) up offset 5m";
    assertEquals(Set.of("kiam_sts_assume_role_seconds_bucket", "up"), PromQlMetrics.names(expr));
  }

  @Test
  void familyDropsSampleSuffixes() {
    assertEquals("kiam_x", PromQlMetrics.family("kiam_x_total"));
    assertEquals("kiam_y_seconds", PromQlMetrics.family("kiam_y_seconds_bucket"));
    assertEquals("kiam_z", PromQlMetrics.family("kiam_z"));
  }
}
