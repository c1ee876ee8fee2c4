package io.kiam.common.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class LoggingTest {
  private final PrintStream originalErr = System.err;

  @AfterEach
  void restore() {
    System.setErr(originalErr);
    Logging.configure(LogFormat.TEXT, "info");
  }

  private String logOneDecision(LogFormat format) {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    Logging.configure(format, "info");
    LoggerFactory.getLogger("decisions")
        .atInfo()
        .addKeyValue("pod.namespace", "shop")
        .addKeyValue("pod.name", "checkout")
        .log("credentials issued");
    LoggerFactory.getLogger("decisions").debug("not at info");
    return captured.toString(StandardCharsets.UTF_8);
  }

  @Test
  void textCarriesTheKeyValuePairsOnOneLine() {
    String out = logOneDecision(LogFormat.TEXT);
    assertEquals(1, out.lines().count(), out);
    assertTrue(out.contains("credentials issued"), out);
    assertTrue(out.contains("pod.namespace=\"shop\"") || out.contains("pod.namespace=shop"), out);
    assertTrue(out.contains("pod.name"), out);
    assertTrue(
        out.contains("credentials issued pod.namespace="), "message and pairs apart: " + out);
  }

  @Test
  void jsonIsOneObjectPerLineWithTheKeyValuePairs() {
    String out = logOneDecision(LogFormat.JSON);
    assertEquals(1, out.lines().count(), out);
    String line = out.strip();
    assertTrue(line.startsWith("{\"time\":") && line.endsWith("}"), line);
    assertTrue(line.contains("\"level\":\"info\",\"msg\":\"credentials issued\""), line);
    assertTrue(line.contains("\"pod.namespace\":\"shop\""), line);
  }

  @Test
  void unknownLevelIsRefusedClearly() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Logging.parseLevel("loud"));
    assertTrue(e.getMessage().startsWith("--level:"));
    assertEquals(Level.WARN, Logging.parseLevel("warning"));
  }
}
