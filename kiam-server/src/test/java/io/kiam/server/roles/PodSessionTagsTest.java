package io.kiam.server.roles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiam.server.events.PodEvents;
import io.kiam.server.k8s.NamespaceFinder;
import io.kiam.server.k8s.PodInfo;
import io.kiam.server.k8s.PodPhase;
import io.kiam.server.sts.DefaultArnResolver;
import io.kiam.server.sts.RoleRequest;
import io.kiam.server.sts.SessionTags;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PodSessionTagsTest {
  private static final String ARN = "arn:aws:iam::123456789012:role/shop-web";

  private static PodInfo pod(String namespace, String name, String uid) {
    return new PodInfo(
        uid,
        namespace,
        name,
        List.of("10.0.0.1"),
        PodPhase.RUNNING,
        false,
        false,
        "shop-web",
        null,
        null,
        "web-sa",
        "1");
  }

  @Test
  void tagsNameThePodAsEksPodIdentityDoes() {
    SessionTags tags = PodSessionTags.forPod(pod("shop", "web-1", "uid-1"));

    assertEquals(
        Map.of(
            "kubernetes-namespace", "shop",
            "kubernetes-pod-name", "web-1",
            "kubernetes-pod-uid", "uid-1",
            "kubernetes-service-account", "web-sa"),
        tags.tags());
    assertEquals(Optional.of("shop.web-1"), tags.sourceIdentity());
  }

  @Test
  void aScheduledPodsTagsNameItsNode() {
    PodInfo unscheduled = pod("shop", "web-1", "uid-1");
    PodInfo scheduled =
        new PodInfo(
            "uid-1",
            "shop",
            "web-1",
            List.of("10.0.0.1"),
            PodPhase.RUNNING,
            false,
            false,
            "shop-web",
            null,
            null,
            "web-sa",
            "1",
            "ip-10-0-0-1.ec2.internal");

    assertEquals(
        "ip-10-0-0-1.ec2.internal",
        PodSessionTags.forPod(scheduled).tags().get(PodSessionTags.NODE_NAME));
    assertFalse(PodSessionTags.forPod(unscheduled).tags().containsKey(PodSessionTags.NODE_NAME));
  }

  @Test
  void aLongNameKeepsSourceIdentityWithinStsLimitAndDistinct() {
    String a = PodSessionTags.sourceIdentity("payments-production", "x".repeat(200) + "-a");
    String b = PodSessionTags.sourceIdentity("payments-production", "x".repeat(200) + "-b");

    assertEquals(64, a.length());
    assertEquals(64, b.length());
    assertNotEquals(a, b);
    assertTrue(a.matches("[\\w+=,.@-]{2,64}"), a);
  }

  @Test
  void withTagsEachPodHasItsOwnCacheKeyAndWithoutThemPodsShareOne() {
    SessionNamer namer = (annotation, suffix) -> "kiam-" + suffix;
    DefaultArnResolver resolver = new DefaultArnResolver("arn:aws:iam::123456789012:role/");
    PodInfo one = pod("shop", "web-1", "uid-1");
    PodInfo two = pod("shop", "web-2", "uid-2");

    NamespaceFinder namespaces = name -> Optional.empty();
    PodRoles tagged = new PodRoles(resolver, namer, "kiam", namespaces, PodEvents.none(), true);
    PodRoles plain = new PodRoles(resolver, namer, "kiam", namespaces, PodEvents.none());

    RoleRequest t1 = tagged.request(one, ARN);
    assertNotEquals(t1, tagged.request(two, ARN));
    assertEquals(t1, tagged.request(pod("shop", "web-1", "uid-1"), ARN));
    assertEquals(plain.request(one, ARN), plain.request(two, ARN));
    assertEquals(SessionTags.NONE, plain.request(one, ARN).sessionTags());
  }
}
