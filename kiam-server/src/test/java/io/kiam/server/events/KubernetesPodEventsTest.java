package io.kiam.server.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.kiam.server.k8s.PodInfo;
import io.kiam.server.k8s.PodPhase;
import io.kiam.testkit.time.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Events written through the mock API server, at most one per pod and reason per interval. */
@EnableKubernetesMockClient(crud = true)
@Timeout(30)
class KubernetesPodEventsTest {
  // instance fields: each test gets an API server of its own, so that no state or stalled
  // clean-up of one test reaches the next
  KubernetesMockServer server;
  KubernetesClient client;

  private static PodInfo pod(String name) {
    return new PodInfo(
        "uid-" + name,
        "shop",
        name,
        List.of("10.3.0.1"),
        PodPhase.RUNNING,
        false,
        false,
        "shop-web",
        null,
        null,
        "default",
        "1");
  }

  private List<Event> eventsFor(String pod, int expected) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      List<Event> events =
          client.v1().events().inNamespace("shop").list().getItems().stream()
              .filter(e -> e.getInvolvedObject().getName().equals(pod))
              .toList();
      if (events.size() >= expected || System.nanoTime() > deadline) {
        return events;
      }
      TimeUnit.MILLISECONDS.sleep(20);
    }
  }

  @Test
  void writesAWarningEventOnThePod() throws Exception {
    try (KubernetesPodEvents events =
        new KubernetesPodEvents(
            client,
            new MutableClock(Instant.parse("2026-01-01T00:00:00Z")),
            Duration.ofMinutes(5),
            "server-0")) {
      events.record(
          pod("web"),
          EventReason.ROLE_FORBIDDEN,
          "namespace 'shop' permits roles matching 'shop-.*'; pod asks for 'admin'");

      Event event = eventsFor("web", 1).get(0);
      assertEquals("KiamRoleForbidden", event.getReason());
      assertEquals("Warning", event.getType());
      assertEquals("Pod", event.getInvolvedObject().getKind());
      assertEquals("uid-web", event.getInvolvedObject().getUid());
      assertTrue(event.getMessage().contains("pod asks for 'admin'"));
      assertEquals("server-0", event.getSource().getHost());
    }
  }

  @Test
  void repeatsWithinTheIntervalAreDroppedButOtherReasonsAndLaterOnesAreNot() throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    try (KubernetesPodEvents events =
        new KubernetesPodEvents(client, clock, Duration.ofMinutes(5), "server-0")) {
      for (int i = 0; i < 20; i++) {
        events.record(pod("busy"), EventReason.ROLE_FORBIDDEN, "refused " + i);
      }
      events.record(pod("busy"), EventReason.CREDENTIAL_ERROR, "sts down");
      assertEquals(2, eventsFor("busy", 2).size());

      clock.advance(Duration.ofMinutes(5));
      events.record(pod("busy"), EventReason.ROLE_FORBIDDEN, "refused again");

      List<Event> all = eventsFor("busy", 3);
      assertEquals(3, all.size());
      assertEquals(2, all.stream().filter(e -> e.getReason().equals("KiamRoleForbidden")).count());
    }
  }
}
