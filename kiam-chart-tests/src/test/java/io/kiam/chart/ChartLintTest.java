package io.kiam.chart;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.marcnuri.helm.LintResult;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** `helm lint --strict` passes for the defaults and for every documented alternative. */
class ChartLintTest {

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.kiam.chart.Scenarios#all")
  void lintsCleanInStrictMode(String scenario, String values) {
    LintResult result = KiamChart.lintStrict(values);
    assertFalse(result.isFailed(), () -> String.join("\n", result.getMessages()));
    // strict mode fails on warnings already; say which line it was if one slips through
    assertTrue(
        result.getMessages().stream()
            .noneMatch(m -> m.contains("[WARNING]") || m.contains("[ERROR]")),
        () -> String.join("\n", result.getMessages()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.kiam.chart.Scenarios#all")
  void rendersServerAndAgentInEveryScenario(String scenario, String values) {
    Rendered rendered = KiamChart.render(values);
    rendered.one(io.fabric8.kubernetes.api.model.apps.Deployment.class, KiamChart.SERVER);
    rendered.one(io.fabric8.kubernetes.api.model.apps.DaemonSet.class, KiamChart.AGENT);
  }
}
