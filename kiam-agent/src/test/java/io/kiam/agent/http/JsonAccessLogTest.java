package io.kiam.agent.http;

import static io.kiam.agent.http.EmbeddedAgent.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kiam.common.logging.LogrusJsonEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The access line in JSON carries kiam's keys (addr, method, path, status, duration) beside ours.
 */
class JsonAccessLogTest {
  private static final String POD_IP = "10.1.2.3";
  private static final String CREDENTIALS = "/latest/meta-data/iam/security-credentials/";

  private final EmbeddedAgent agent = new EmbeddedAgent();
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
  private final Logger access = (Logger) LoggerFactory.getLogger("io.kiam.agent.access");

  @BeforeEach
  void capture() {
    appender.start();
    access.addAppender(appender);
  }

  @AfterEach
  void release() {
    access.detachAppender(appender);
  }

  @Test
  void accessLineIsFlatJsonWithKiamsKeysBesideOurs() throws Exception {
    agent.servers.pod(POD_IP, "shop", "web-1", "shop-reader");

    get(agent.connect(POD_IP), CREDENTIALS + "shop-reader");

    LogrusJsonEncoder encoder = new LogrusJsonEncoder();
    encoder.start();
    List<ILoggingEvent> lines = appender.list;
    assertEquals(1, lines.size());
    String json = new String(encoder.encode(lines.get(0)), StandardCharsets.UTF_8);
    assertTrue(json.endsWith("\n") && json.indexOf('\n') == json.length() - 1, json);
    JsonNode line = new ObjectMapper().readTree(json);
    for (Iterator<Map.Entry<String, JsonNode>> it = line.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      assertTrue(field.getValue().isValueNode(), "flat: " + field.getKey() + " in " + json);
    }
    assertEquals("info", line.get("level").asText());
    assertEquals(POD_IP, line.get("addr").asText());
    assertEquals("GET", line.get("method").asText());
    assertEquals(CREDENTIALS + "shop-reader", line.get("path").asText());
    assertEquals(200, line.get("status").asInt());
    assertTrue(line.get("status").isNumber());
    assertTrue(line.get("duration").isNumber() && line.get("duration").asDouble() >= 0);
    // ours stay
    assertEquals("shop", line.get("pod.namespace").asText());
    assertEquals("shop-reader", line.get("pod.iam.role").asText());
    assertEquals("200", line.get("http.status").asText());
  }
}
