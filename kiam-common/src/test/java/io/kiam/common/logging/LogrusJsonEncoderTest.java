package io.kiam.common.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.event.KeyValuePair;

/** kiam's logrus JSON: one flat object per line, time/level/msg first, fields at the top level. */
class LogrusJsonEncoderTest {
  private final LoggerContext context = (LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory();
  private final ObjectMapper mapper = new ObjectMapper();

  private JsonNode encode(LoggingEvent event) throws Exception {
    LogrusJsonEncoder encoder = new LogrusJsonEncoder();
    encoder.setContext(context);
    encoder.start();
    String out = new String(encoder.encode(event), StandardCharsets.UTF_8);
    assertEquals(1, out.lines().count(), out);
    assertTrue(out.endsWith("\n"), out);
    JsonNode node = mapper.readTree(out);
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      assertTrue(f.getValue().isValueNode(), "not flat: " + f.getKey() + " in " + out);
    }
    return node;
  }

  private LoggingEvent event(Level level, String message, Throwable thrown, Object... pairs) {
    LoggingEvent event =
        new LoggingEvent(
            "fqcn", context.getLogger("io.kiam.test"), level, message, thrown, new Object[0]);
    event.setTimeStamp(Instant.parse("2026-01-02T15:04:05.067Z").toEpochMilli());
    List<KeyValuePair> kvs = new ArrayList<>();
    for (int i = 0; i < pairs.length; i += 2) {
      kvs.add(new KeyValuePair((String) pairs[i], pairs[i + 1]));
    }
    event.setKeyValuePairs(kvs);
    return event;
  }

  @Test
  void timeLevelMsgFirstThenFieldsAtTheTopLevel() throws Exception {
    JsonNode line =
        encode(
            event(
                Level.INFO,
                "credentials issued",
                null,
                "pod.namespace",
                "shop",
                "http.status",
                200,
                "ok",
                true));

    List<String> names = new ArrayList<>();
    line.fieldNames().forEachRemaining(names::add);
    assertEquals(List.of("time", "level", "msg"), names.subList(0, 3));
    assertEquals("2026-01-02T15:04:05.067Z", line.get("time").asText());
    assertEquals("info", line.get("level").asText());
    assertEquals("credentials issued", line.get("msg").asText());
    assertEquals("shop", line.get("pod.namespace").asText());
    assertEquals(200, line.get("http.status").asInt());
    assertTrue(line.get("http.status").isNumber());
    assertTrue(line.get("ok").isBoolean());
    assertEquals("io.kiam.test", line.get("logger").asText());
  }

  @Test
  void levelsAreLogrusNames() throws Exception {
    assertEquals("warning", encode(event(Level.WARN, "w", null)).get("level").asText());
    assertEquals("error", encode(event(Level.ERROR, "e", null)).get("level").asText());
    assertEquals("debug", encode(event(Level.DEBUG, "d", null)).get("level").asText());
    assertEquals("trace", encode(event(Level.TRACE, "t", null)).get("level").asText());
  }

  @Test
  void clashingKeysBecomeFieldsDotKeyAndExceptionsAnErrorField() throws Exception {
    JsonNode line =
        encode(
            event(
                Level.ERROR,
                "failed \"quoted\"\nsecond line",
                new IllegalStateException("boom"),
                "msg",
                "mine",
                "time",
                "x"));

    assertEquals("failed \"quoted\"\nsecond line", line.get("msg").asText());
    assertEquals("mine", line.get("fields.msg").asText());
    assertEquals("x", line.get("fields.time").asText());
    assertEquals("java.lang.IllegalStateException: boom", line.get("error").asText());
    assertTrue(line.get("stacktrace").asText().contains("IllegalStateException"));
  }
}
