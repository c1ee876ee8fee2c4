package io.kiam.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/** The access log never makes a request wait: a full queue drops the line and counts it. */
@Timeout(30)
class AccessLogQueueTest {
  private final LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();

  /** A console that hangs until released, as a blocked stderr pipe does. */
  private static final class StuckConsole extends AppenderBase<ILoggingEvent> {
    final List<String> written = new CopyOnWriteArrayList<>();
    final CountDownLatch first = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    @Override
    protected void append(ILoggingEvent event) {
      first.countDown();
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      written.add(event.getFormattedMessage());
    }
  }

  private ILoggingEvent line(String text) {
    return new LoggingEvent(
        "test", context.getLogger(AccessLogQueue.LOGGER), Level.INFO, text, null, null);
  }

  @Test
  void aFullQueueDropsAndCountsInsteadOfBlocking() throws Exception {
    StuckConsole console = new StuckConsole();
    console.setContext(context);
    console.start();
    AccessLogQueue queue = new AccessLogQueue(2, console);
    queue.setContext(context);
    queue.start();

    queue.doAppend(line("1"));
    assertTrue(console.first.await(10, TimeUnit.SECONDS), "the writer took the first line");
    for (int i = 2; i <= 5; i++) {
      queue.doAppend(line(Integer.toString(i)));
    }

    assertEquals(2, queue.dropped(), "lines 4 and 5 found the queue full");
    console.release.countDown();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (console.written.size() < 3 && System.nanoTime() < end) {
      Thread.sleep(20);
    }
    queue.stop();
    assertEquals(List.of("1", "2", "3"), console.written);
  }
}
