package io.kiam.agent.http;

import static io.kiam.agent.http.EmbeddedAgent.get;
import static io.kiam.agent.http.EmbeddedAgent.put;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.kiam.agent.client.ServerFailure;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;

/** One access line per request, with the stable keys operators grep for, and never a secret. */
class AccessLogTest {
  private static final String POD_IP = "10.1.2.3";
  private static final String CREDENTIALS = "/latest/meta-data/iam/security-credentials/";

  private final EmbeddedAgent agent = new EmbeddedAgent();
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

  @BeforeEach
  void capture() {
    appender.start();
    root.addAppender(appender);
  }

  @AfterEach
  void release() {
    root.detachAppender(appender);
  }

  private List<Map<String, String>> accessLines() {
    return appender.list.stream()
        .filter(e -> e.getLoggerName().equals("io.kiam.agent.access"))
        .map(
            e ->
                e.getKeyValuePairs().stream()
                    .collect(Collectors.toMap(kv -> kv.key, kv -> String.valueOf(kv.value))))
        .toList();
  }

  private String everything() {
    StringBuilder all = new StringBuilder();
    for (ILoggingEvent e : appender.list) {
      all.append(e.getFormattedMessage()).append(' ');
      if (e.getKeyValuePairs() != null) {
        for (KeyValuePair kv : e.getKeyValuePairs()) {
          all.append(kv.key).append('=').append(kv.value).append(' ');
        }
      }
    }
    return all.toString();
  }

  @Test
  void credentialRequestLogsPodRoleStatusAndAccessKey() {
    agent.servers.pod(POD_IP, "shop", "web-1", "shop-reader");

    get(agent.connect(POD_IP), CREDENTIALS + "shop-reader");

    List<Map<String, String>> lines = accessLines();
    assertEquals(1, lines.size());
    Map<String, String> line = lines.get(0);
    assertEquals(POD_IP, line.get("pod.ip"));
    assertEquals("shop", line.get("pod.namespace"));
    assertEquals("web-1", line.get("pod.name"));
    assertEquals("shop-reader", line.get("pod.iam.role"));
    assertEquals("GET", line.get("http.method"));
    assertEquals(CREDENTIALS + "shop-reader", line.get("http.path"));
    assertEquals("credentials", line.get("http.route"));
    assertEquals("200", line.get("http.status"));
    assertEquals("ASIASHOPREADER", line.get("credentials.access.key"));
    assertTrue(Double.parseDouble(line.get("latency.ms")) >= 0);
    assertFalse(line.containsKey("reason"));
  }

  @Test
  void refusalsLogTheReason() {
    agent.servers.fail(POD_IP, ServerFailure.Kind.REFUSED, "namespace 'shop' permits nothing");

    get(agent.connect(POD_IP), CREDENTIALS + "admin");
    get(agent.connect(POD_IP), "/latest/meta-data/iam/info");
    get(agent.connect(POD_IP), "/latest/meta-data/%2e%2e/%2e%2e/%2e%2e/x");

    List<Map<String, String>> lines = accessLines();
    assertEquals("403", lines.get(0).get("http.status"));
    assertEquals("namespace 'shop' permits nothing", lines.get(0).get("reason"));
    assertEquals("admin", lines.get(0).get("pod.iam.role"));
    assertEquals("blocked", lines.get(1).get("http.route"));
    assertTrue(lines.get(1).get("reason").startsWith("blocked by kiam: "));
    assertEquals("bad_path", lines.get(2).get("http.route"));
    assertEquals("400", lines.get(2).get("http.status"));
  }

  @Test
  void neverLogsSecretsSessionTokensOrImdsTokens() {
    agent.servers.pod(POD_IP, "shop", "web-1", "shop-reader");
    String token =
        put(agent.connect(POD_IP), "/latest/api/token", "X-aws-ec2-metadata-token-ttl-seconds: 60")
            .body();

    get(agent.connect(POD_IP), CREDENTIALS, "X-aws-ec2-metadata-token: " + token);
    get(agent.connect(POD_IP), CREDENTIALS + "shop-reader", "X-aws-ec2-metadata-token: " + token);
    get(
        agent.connect(POD_IP),
        CREDENTIALS + "shop-reader",
        "X-aws-ec2-metadata-token: " + token + "x");
    get(
        agent.connect(POD_IP),
        CREDENTIALS + "extended-reader",
        "X-aws-ec2-metadata-token: " + token);

    String logged = everything();
    assertEquals(5, accessLines().size());
    assertFalse(logged.contains(FakeServerClient.SECRET), logged);
    assertFalse(logged.contains(FakeServerClient.SESSION_TOKEN), logged);
    assertFalse(logged.contains(token), logged);
  }
}
