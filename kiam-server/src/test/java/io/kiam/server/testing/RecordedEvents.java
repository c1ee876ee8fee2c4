package io.kiam.server.testing;

import io.kiam.server.events.EventReason;
import io.kiam.server.events.PodEvents;
import io.kiam.server.k8s.PodInfo;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Keeps the events the server would write, for tests that check refusals are reported. */
public final class RecordedEvents implements PodEvents {
  /** One recorded event. */
  public record Recorded(String pod, EventReason reason, String message) {}

  public final List<Recorded> events = new CopyOnWriteArrayList<>();

  @Override
  public void record(PodInfo pod, EventReason reason, String message) {
    events.add(new Recorded(pod.qualifiedName(), reason, message));
  }
}
