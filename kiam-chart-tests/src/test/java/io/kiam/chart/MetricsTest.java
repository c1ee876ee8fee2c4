package io.kiam.chart;

import static io.kiam.chart.KiamChart.AGENT;
import static io.kiam.chart.KiamChart.SERVER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Prometheus metrics: off by default; when on, a flag, a port, a Service and a ServiceMonitor each.
 */
class MetricsTest {
  private static final String MONITORING = "monitoring.coreos.com/v1";

  private static Container server(Rendered r) {
    return r.one(Deployment.class, SERVER).getSpec().getTemplate().getSpec().getContainers().get(0);
  }

  private static Container agent(Rendered r) {
    return r.one(DaemonSet.class, AGENT).getSpec().getTemplate().getSpec().getContainers().get(0);
  }

  @Test
  void offByDefault() {
    Rendered defaults = KiamChart.render("");
    assertEquals(1, defaults.all(Service.class).size(), "only the headless gRPC Service");
    assertTrue(defaults.generic(MONITORING, "ServiceMonitor").isEmpty());
    assertTrue(server(defaults).getArgs().stream().noneMatch(a -> a.startsWith("--prometheus")));
    assertTrue(agent(defaults).getArgs().stream().noneMatch(a -> a.startsWith("--prometheus")));
  }

  @Test
  void eachDaemonServesMetricsBehindAServiceAndAServiceMonitor() {
    Rendered metrics = KiamChart.render(Scenarios.METRICS);
    assertTrue(server(metrics).getArgs().contains("--prometheus-listen-addr=0.0.0.0:9620"));
    // The agent shares the host's network: its metrics listen on the node's IP, not everywhere.
    assertTrue(
        agent(metrics).getArgs().contains("--prometheus-listen-addr=[$(HOST_IP)]:9621"),
        agent(metrics).getArgs().toString());
    assertMonitored(metrics, "kiam-server-metrics", server(metrics), 9620, "server");
    assertMonitored(metrics, "kiam-agent-metrics", agent(metrics), 9621, "agent");
  }

  private static void assertMonitored(
      Rendered rendered, String name, Container container, int port, String component) {
    assertTrue(
        container.getPorts().stream()
            .anyMatch(p -> p.getName().equals("metrics") && p.getContainerPort() == port));
    Service service = rendered.one(Service.class, name);
    assertEquals(port, service.getSpec().getPorts().get(0).getPort());
    assertEquals("metrics", service.getSpec().getPorts().get(0).getTargetPort().getStrVal());
    assertEquals(component, service.getSpec().getSelector().get("app.kubernetes.io/component"));

    GenericKubernetesResource monitor = rendered.oneGeneric(MONITORING, "ServiceMonitor", name);
    Map<String, String> selector = monitor.get("spec", "selector", "matchLabels");
    // the monitor must select its Service's labels, and only the metrics Service
    assertTrue(
        service.getMetadata().getLabels().entrySet().containsAll(selector.entrySet()),
        selector::toString);
    assertEquals("true", selector.get("kiam.io/metrics"));
    assertEquals("prometheus", monitor.getMetadata().getLabels().get("release"));
    List<Map<String, Object>> endpoints = monitor.get("spec", "endpoints");
    assertEquals("metrics", endpoints.get(0).get("port"));
    assertEquals("/metrics", endpoints.get(0).get("path"));
  }
}
