package io.kiam.agent.node;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes the node's startup taint once the agent can keep its promise: its DNAT rule is in place
 * and a kiam-server answers. Until then pods that do not tolerate the taint stay off the node, so
 * none of them meets the node's own metadata service in the boot window. Retries with a bounded
 * back-off until the taint is gone or the agent stops.
 */
public final class StartupTaintRemover implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StartupTaintRemover.class);
  static final Duration FIRST_RETRY = Duration.ofSeconds(1);
  static final Duration MAX_RETRY = Duration.ofSeconds(30);

  /** Whether the agent is ready for pods: empty when it is, else why not (may block briefly). */
  @FunctionalInterface
  public interface Readiness {
    Optional<String> notReady() throws InterruptedException;
  }

  private final NodeTaints taints;
  private final String nodeName;
  private final String taintKey;
  private final Readiness readiness;
  private final CountDownLatch stop = new CountDownLatch(1);
  private final CountDownLatch done = new CountDownLatch(1);
  private final Thread thread;

  private StartupTaintRemover(
      NodeTaints taints, String nodeName, String taintKey, Readiness readiness) {
    this.taints = taints;
    this.nodeName = nodeName;
    this.taintKey = taintKey;
    this.readiness = readiness;
    this.thread = new Thread(this::run, "kiam-startup-taint");
    this.thread.setDaemon(true);
  }

  /** Starts waiting for readiness in the background, then removes the taint. */
  public static StartupTaintRemover start(
      NodeTaints taints, String nodeName, String taintKey, Readiness readiness) {
    StartupTaintRemover remover = new StartupTaintRemover(taints, nodeName, taintKey, readiness);
    remover.thread.start();
    return remover;
  }

  /** Waits until the taint is gone (or the remover stopped); true when it is gone. */
  public boolean awaitRemoved(Duration timeout) throws InterruptedException {
    return done.await(timeout.toMillis(), TimeUnit.MILLISECONDS) && stop.getCount() == 1;
  }

  private void run() {
    Duration retry = FIRST_RETRY;
    try {
      while (stop.getCount() > 0) {
        Optional<String> why = readiness.notReady();
        if (why.isEmpty() && attempt()) {
          done.countDown();
          return;
        }
        why.ifPresent(
            reason ->
                log.atInfo()
                    .addKeyValue("node.name", nodeName)
                    .addKeyValue("taint.key", taintKey)
                    .log("startup taint kept: {}", reason));
        if (stop.await(retry.toMillis(), TimeUnit.MILLISECONDS)) {
          return;
        }
        retry = retry.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : retry.multipliedBy(2);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private boolean attempt() throws InterruptedException {
    try {
      boolean removed = taints.remove(nodeName, taintKey);
      log.atInfo()
          .addKeyValue("node.name", nodeName)
          .addKeyValue("taint.key", taintKey)
          .addKeyValue("outcome", removed ? "removed" : "absent")
          .log(
              removed
                  ? "startup taint removed: the rule is in place and a kiam-server answers"
                  : "no startup taint on the node: nothing to remove");
      return true;
    } catch (NodeApiException e) {
      log.atWarn()
          .addKeyValue("node.name", nodeName)
          .addKeyValue("taint.key", taintKey)
          .addKeyValue("outcome", "failed")
          .log("failed to remove the startup taint, will retry: {}", e.getMessage());
      return false;
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop.countDown();
    thread.interrupt();
    thread.join(TimeUnit.SECONDS.toMillis(5));
  }
}
