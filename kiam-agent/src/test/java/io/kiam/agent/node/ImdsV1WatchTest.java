package io.kiam.agent.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * The node check against a real HTTP metadata service in both set-ups: IMDSv1 open (answers a GET
 * without a token) and hardened (401 without one). kiam-e2e runs the same check against its
 * metadata stand-in as a process ({@code check-imds}).
 */
@Timeout(30)
class ImdsV1WatchTest {
  private HttpServer imds;
  private ImdsV1Watch watch;
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final Logger logger = (Logger) LoggerFactory.getLogger(ImdsV1Watch.class);

  private URI start(boolean requireToken) throws Exception {
    imds = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
    imds.createContext(
        "/",
        exchange -> {
          try (exchange) {
            boolean hasToken =
                exchange.getRequestHeaders().getFirst("X-aws-ec2-metadata-token") != null;
            int status = requireToken && !hasToken ? 401 : 200;
            byte[] body =
                (status == 200 ? "i-0123456789abcdef0" : "").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
            if (body.length > 0) {
              exchange.getResponseBody().write(body);
            }
          }
        });
    imds.start();
    logs.start();
    logger.addAppender(logs);
    return URI.create("http://127.0.0.1:" + imds.getAddress().getPort());
  }

  @AfterEach
  void stop() {
    if (watch != null) {
      watch.close();
    }
    if (imds != null) {
      imds.stop(0);
    }
    logger.detachAppender(logs);
  }

  private static double gauge(PrometheusRegistry registry) {
    return registry.scrape().stream()
        .filter(s -> s.getMetadata().getName().equals(ImdsV1Watch.METRIC))
        .map(s -> ((GaugeSnapshot) s).getDataPoints().get(0).getValue())
        .findFirst()
        .orElseThrow();
  }

  private ImdsV1Status awaitFirstCheck() throws InterruptedException {
    while (watch.last() == ImdsV1Status.UNKNOWN) {
      Thread.sleep(10);
    }
    return watch.last();
  }

  @Test
  void openImdsv1IsReportedAndWarnedAbout() throws Exception {
    URI endpoint = start(false);
    PrometheusRegistry registry = new PrometheusRegistry();
    watch =
        ImdsV1Watch.start(
            new ImdsV1Probe(endpoint, Duration.ofSeconds(5)), Duration.ofHours(1), registry);

    assertEquals(ImdsV1Status.OPEN, awaitFirstCheck());
    assertEquals(1.0, gauge(registry));
    assertTrue(
        logs.list.stream()
            .anyMatch(
                e ->
                    e.getLevel() == Level.WARN
                        && e.getFormattedMessage().contains("answers IMDSv1 without a token")),
        logs.list::toString);
  }

  @Test
  void hardenedImdsIsReportedWithoutAWarning() throws Exception {
    URI endpoint = start(true);
    PrometheusRegistry registry = new PrometheusRegistry();
    watch =
        ImdsV1Watch.start(
            new ImdsV1Probe(endpoint, Duration.ofSeconds(5)), Duration.ofHours(1), registry);

    assertEquals(ImdsV1Status.REQUIRES_TOKEN, awaitFirstCheck());
    assertEquals(0.0, gauge(registry));
    assertTrue(logs.list.stream().noneMatch(e -> e.getLevel() == Level.WARN), logs.list::toString);
  }

  @Test
  void anUnreachableServiceIsUnknownNotHardened() throws Exception {
    URI endpoint = start(true);
    imds.stop(0);
    assertEquals(ImdsV1Status.UNKNOWN, new ImdsV1Probe(endpoint, Duration.ofSeconds(5)).check());
    imds = null;
  }

  @Test
  void closingUnregistersTheGaugeSoAnotherAgentCanRegisterIt() throws Exception {
    URI endpoint = start(true);
    PrometheusRegistry registry = new PrometheusRegistry();
    ImdsV1Probe probe = new ImdsV1Probe(endpoint, Duration.ofSeconds(5));
    ImdsV1Watch.start(probe, Duration.ofHours(1), registry).close();
    watch = ImdsV1Watch.start(probe, Duration.ofHours(1), registry);
    assertEquals(ImdsV1Status.REQUIRES_TOKEN, awaitFirstCheck());
  }
}
