package io.kiam.common.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Configures logback from the daemons' flags: one line per event on stderr, text or JSON (kiam's
 * logrus shape, see {@link LogrusJsonEncoder}), with the SLF4J key-value pairs (pod.namespace,
 * pod.name, ...) printed in both.
 */
public final class Logging {
  /** Time, level, logger, message, then key=value pairs: greppable by an operator at 3 a.m. */
  static final String TEXT_PATTERN =
      "%d{yyyy-MM-dd'T'HH:mm:ss.SSSX,UTC} %-5level [%thread] %logger{0} - %msg %kvp{NONE}%n%ex";

  private Logging() {}

  /** Parses a level name (trace, debug, info, warn, error), failing clearly on anything else. */
  public static Level parseLevel(String level) {
    String upper = level.trim().toUpperCase(Locale.ROOT);
    return switch (upper) {
      case "TRACE", "DEBUG", "INFO", "WARN", "ERROR" -> Level.toLevel(upper);
      case "WARNING" -> Level.WARN;
      default ->
          throw new IllegalArgumentException(
              "--level: '" + level + "' is not one of trace, debug, info, warn, error");
    };
  }

  /** Replaces whatever logback configured by default; call once from main, before anything logs. */
  public static void configure(LogFormat format, String level) {
    Level parsed = parseLevel(level);
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.reset();

    ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
    appender.setContext(context);
    appender.setName("console");
    appender.setTarget("System.err");
    appender.setEncoder(encoder(format, context));
    appender.start();

    // grpc-java logs through java.util.logging: route it into the same lines and format.
    ch.qos.logback.classic.jul.LevelChangePropagator propagator =
        new ch.qos.logback.classic.jul.LevelChangePropagator();
    propagator.setContext(context);
    propagator.setResetJUL(true);
    propagator.start();
    context.addListener(propagator);
    if (!org.slf4j.bridge.SLF4JBridgeHandler.isInstalled()) {
      org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
      org.slf4j.bridge.SLF4JBridgeHandler.install();
    }

    ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(parsed);
    root.addAppender(appender);
    // Third-party chatter that says nothing an operator can act on at INFO.
    context.getLogger("io.netty").setLevel(Level.WARN);
    context.getLogger("io.grpc").setLevel(Level.WARN);
    context.getLogger("io.vertx").setLevel(Level.WARN);
    context.getLogger("software.amazon.awssdk").setLevel(Level.WARN);
    context.getLogger("io.fabric8").setLevel(Level.WARN);
  }

  private static Encoder<ILoggingEvent> encoder(LogFormat format, LoggerContext context) {
    if (format == LogFormat.JSON) {
      LogrusJsonEncoder json = new LogrusJsonEncoder();
      json.setContext(context);
      json.start();
      return json;
    }
    PatternLayoutEncoder text = new PatternLayoutEncoder();
    text.setContext(context);
    text.setPattern(TEXT_PATTERN);
    text.start();
    return text;
  }
}
