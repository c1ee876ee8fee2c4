package io.kiam.e2e;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kiam.e2e.node.KiamNode;
import io.kiam.e2e.node.NodePod;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A pod process fetching its credentials in a loop ({@link io.kiam.e2e.probe.LoopProbe}), every
 * round kept as it arrives so the test can wait for what it needs to see, then judge them all.
 */
final class PodLoop implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One round: the listing's status and role, the credentials' status and access key id; t0 and t1
   * the machine's monotonic clock at its start and end.
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  record Round(
      long n,
      long at,
      Integer listing,
      String role,
      Integer creds,
      String key,
      String error,
      long t0,
      long t1) {
    /** Both answers 200 with credentials, within the budget. */
    boolean served() {
      return error == null
          && Integer.valueOf(200).equals(listing)
          && Integer.valueOf(200).equals(creds)
          && key != null;
    }

    /** The role handed out with credentials, or null. */
    String servedRole() {
      return served() ? role : null;
    }
  }

  private final String pod;
  private final Process process;
  private final List<Round> rounds = new CopyOnWriteArrayList<>();
  private final List<String> unreadable = new CopyOnWriteArrayList<>();
  private final Thread reader;

  private PodLoop(String pod, Process process) {
    this.pod = pod;
    this.process = process;
    this.reader = new Thread(this::read, "pod-loop-" + pod);
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts the loop in the pod's network namespace; pauseMillis between rounds. */
  static PodLoop start(KiamNode node, NodePod pod, long pauseMillis) {
    return new PodLoop(
        pod.name(), node.probes().startLoop(pod.netns(), PodChecks.METADATA, 80, pauseMillis));
  }

  private void read() {
    try (BufferedReader in =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        PodChecks.assertNoNodeLeak(line);
        try {
          rounds.add(JSON.readValue(line, Round.class));
        } catch (IOException e) {
          unreadable.add(line);
        }
      }
    } catch (IOException e) {
      unreadable.add("stdout: " + e);
    }
  }

  /** The rounds so far, in order. */
  List<Round> rounds() {
    return List.copyOf(rounds);
  }

  int size() {
    return rounds.size();
  }

  /**
   * Waits (bounded only so a failure ends) until count more rounds from now match; returns the
   * index of the first round counted.
   */
  int await(String what, int count, Predicate<Round> matching, Duration timeout) {
    int from = rounds.size();
    Instant deadline = Instant.now().plus(timeout);
    while (true) {
      List<Round> now = rounds();
      long seen = now.subList(from, now.size()).stream().filter(matching).count();
      if (seen >= count) {
        return from;
      }
      if (!process.isAlive() && !reader.isAlive()) {
        throw new AssertionError(pod + ": the loop ended before " + what + "; last " + tail());
      }
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError(
            pod + ": " + what + " not seen within " + timeout + "; last " + tail());
      }
      PodChecks.sleep(20);
    }
  }

  /** Ends the loop (closes its input), waits for its last line, returns every round. */
  List<Round> stop() {
    try {
      process.getOutputStream().close();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
      reader.join(TimeUnit.SECONDS.toMillis(10));
    } catch (IOException e) {
      process.destroyForcibly();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    if (!unreadable.isEmpty()) {
      throw new AssertionError(pod + ": unreadable loop output " + unreadable);
    }
    return rounds();
  }

  String tail() {
    List<Round> now = rounds();
    return now.subList(Math.max(0, now.size() - 5), now.size()).toString();
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
    }
  }
}
