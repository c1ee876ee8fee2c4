package io.kiam.agent;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import ch.qos.logback.core.encoder.Encoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
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

  /** Lines taken from the queue at once. */
  static final int BATCH = 256;

  /** The largest write of gathered lines: a pipe takes writes up to PIPE_BUF (4096) whole. */
  static final int CHUNK = 4096;

  private final ByteArrayOutputStream chunk = new ByteArrayOutputStream(CHUNK);
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
    List<ILoggingEvent> batch = new ArrayList<>(BATCH);
    try {
      while (true) {
        batch.add(queue.take());
        queue.drainTo(batch, BATCH - 1);
        write(batch);
        batch.clear();
      }
    } catch (InterruptedException e) {
      // Stopping: stop() writes what is left.
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Writes what the queue held: to a console, whole lines gathered into one write of at most {@link
   * #CHUNK} bytes (one system call for many lines under load; a write that size reaches a pipe
   * whole, so lines of other threads never land inside ours); to any other appender, line by line.
   */
  private void write(List<ILoggingEvent> batch) {
    if (!(target instanceof OutputStreamAppender<ILoggingEvent> console)
        || !console.isStarted()
        || console.getEncoder() == null
        || console.getOutputStream() == null) {
      batch.forEach(target::doAppend);
      return;
    }
    Encoder<ILoggingEvent> encoder = console.getEncoder();
    chunk.reset();
    try {
      for (ILoggingEvent event : batch) {
        byte[] line = encoder.encode(event);
        if (chunk.size() > 0 && chunk.size() + line.length > CHUNK) {
          flush(console);
        }
        chunk.write(line);
      }
      flush(console);
    } catch (IOException e) {
      addError("cannot write the access log", e);
    }
  }

  private void flush(OutputStreamAppender<ILoggingEvent> console) throws IOException {
    if (chunk.size() == 0) {
      return;
    }
    OutputStream out = console.getOutputStream();
    chunk.writeTo(out);
    out.flush();
    chunk.reset();
  }
}
