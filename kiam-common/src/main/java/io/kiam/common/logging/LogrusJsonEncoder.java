package io.kiam.common.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.event.KeyValuePair;

/**
 * Writes each event as uswitch/kiam's logrus JSON formatter did, so log pipelines written for kiam
 * keep working: one flat object per line, {@code time} (RFC 3339, milliseconds, UTC), {@code level}
 * (logrus' lower-case names: {@code warning}, not {@code warn}), {@code msg}, then every key-value
 * pair at the top level. A pair whose key clashes with those three is written as {@code
 * fields.KEY}, as logrus does; an exception becomes {@code error} (and {@code stacktrace}).
 */
public final class LogrusJsonEncoder extends EncoderBase<ILoggingEvent> {
  static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private static final Set<String> RESERVED = Set.of("time", "level", "msg");
  private static final byte[] NEWLINE = "\n".getBytes(StandardCharsets.UTF_8);
  private final JsonFactory json = new JsonFactory();

  @Override
  public byte[] headerBytes() {
    return null;
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator g = json.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("time", TIME.format(Instant.ofEpochMilli(event.getTimeStamp())));
      g.writeStringField("level", level(event.getLevel()));
      g.writeStringField("msg", event.getFormattedMessage());
      Set<String> written = new HashSet<>(RESERVED);
      if (event.getKeyValuePairs() != null) {
        for (KeyValuePair kv : event.getKeyValuePairs()) {
          field(g, written, kv.key, kv.value);
        }
      }
      Map<String, String> mdc = event.getMDCPropertyMap();
      if (mdc != null) {
        for (Map.Entry<String, String> e : mdc.entrySet()) {
          field(g, written, e.getKey(), e.getValue());
        }
      }
      field(g, written, "logger", event.getLoggerName());
      IThrowableProxy thrown = event.getThrowableProxy();
      if (thrown != null) {
        field(
            g,
            written,
            "error",
            thrown.getClassName()
                + (thrown.getMessage() == null ? "" : ": " + thrown.getMessage()));
        field(g, written, "stacktrace", ThrowableProxyUtil.asString(thrown));
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    out.writeBytes(NEWLINE);
    return out.toByteArray();
  }

  @Override
  public byte[] footerBytes() {
    return null;
  }

  /** logrus' level names. */
  static String level(Level level) {
    return switch (level.toInt()) {
      case Level.ERROR_INT -> "error";
      case Level.WARN_INT -> "warning";
      case Level.INFO_INT -> "info";
      case Level.DEBUG_INT -> "debug";
      default -> "trace";
    };
  }

  private static void field(JsonGenerator g, Set<String> written, String key, Object value)
      throws IOException {
    String name = key == null ? "null" : key;
    // logrus keeps a field that clashes with time/level/msg as fields.KEY; a repeated key keeps
    // its first value, so the object stays valid JSON with unique keys.
    if (RESERVED.contains(name)) {
      name = "fields." + name;
    }
    if (!written.add(name)) {
      return;
    }
    g.writeFieldName(name);
    if (value == null) {
      g.writeNull();
    } else if (value instanceof Integer
        || value instanceof Long
        || value instanceof Short
        || value instanceof Byte) {
      g.writeNumber(((Number) value).longValue());
    } else if (value instanceof Double d && Double.isFinite(d)) {
      g.writeNumber(d);
    } else if (value instanceof Float f && Float.isFinite(f)) {
      g.writeNumber(f);
    } else if (value instanceof BigDecimal b) {
      g.writeNumber(b);
    } else if (value instanceof BigInteger b) {
      g.writeNumber(b);
    } else if (value instanceof Boolean b) {
      g.writeBoolean(b);
    } else {
      g.writeString(String.valueOf(value));
    }
  }
}
