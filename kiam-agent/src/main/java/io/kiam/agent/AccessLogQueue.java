package io.kiam.agent;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.LoggerFactory;

/**
 * Takes the access log off the event loop: a request's line goes into a bounded queue and one
 * thread writes it out. When the queue is full the line is dropped, never waited for (an event loop
 * that blocks on stderr stops answering pods), and counted: {@code
 * kiam_agent_access_log_dropped_total}.
 */
public final class AccessLogQueue extends UnsynchronizedAppenderBase<ILoggingEvent> {
  /** The access log's logger (see {@code io.kiam.agent.http.AccessLog}). */
  public static final String LOGGER = "io.kiam.agent.access";

  /**
   * 2048 queued events (about 1 KiB each with their key-value pairs, so at most ~2 MiB of the
   * agent's 48 MiB heap): tens of milliseconds of a burst at the agent's peak rate, which the
   * writer thread drains far faster than pods ask.
   */
  public static final int DEFAULT_CAPACITY = 2048;

  private final BlockingQueue<ILoggingEvent> queue;
  private final Appender<ILoggingEvent> target;
  private final AtomicLong dropped = new AtomicLong();
  private Thread writer;

  AccessLogQueue(int capacity, Appender<ILoggingEvent> target) {
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.target = Objects.requireNonNull(target, "target");
  }

  /**
   * Routes the access logger through a queue in front of the console appender that {@code
   * Logging.configure} set up; call once after it.
   */
  public static AccessLogQueue install(int capacity) {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    Appender<ILoggingEvent> console =
        context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender("console");
    AccessLogQueue queue = new AccessLogQueue(capacity, console);
    queue.setContext(context);
    queue.setName("access-queue");
    queue.start();
    Logger access = context.getLogger(LOGGER);
    access.addAppender(queue);
    access.setAdditive(false);
    return queue;
  }

  /** Lines dropped because the queue was full. */
  public long dropped() {
    return dropped.get();
  }

  @Override
  protected void append(ILoggingEvent event) {
    // Message, thread name and key-value pairs are fixed now, not when the writer gets to it.
    event.prepareForDeferredProcessing();
    if (!queue.offer(event)) {
      dropped.incrementAndGet();
    }
  }

  @Override
  public void start() {
    if (isStarted()) {
      return;
    }
    writer = new Thread(this::drain, "kiam-access-log");
    writer.setDaemon(true);
    writer.start();
    super.start();
  }

  /** Writes what is queued, then stops. */
  @Override
  public void stop() {
    if (!isStarted()) {
      return;
    }
    super.stop();
    writer.interrupt();
    try {
      writer.join(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    List<ILoggingEvent> rest = new ArrayList<>();
    queue.drainTo(rest);
    rest.forEach(target::doAppend);
  }

  private void drain() {
    try {
      while (true) {
        target.doAppend(queue.take());
      }
    } catch (InterruptedException e) {
      // Stopping: stop() writes what is left.
      Thread.currentThread().interrupt();
    }
  }
}
