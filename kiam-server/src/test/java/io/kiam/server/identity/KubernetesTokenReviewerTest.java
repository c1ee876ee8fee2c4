package io.kiam.server.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kiam.testkit.time.MutableClock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The real reviewer over HTTP against the mock API server, which answers each TokenReview as the
 * API server would for the token it is sent: what the request carries, and what the answer means.
 */
@EnableKubernetesMockClient
@Timeout(60)
class KubernetesTokenReviewerTest {
  private static final String PATH = "/apis/authentication.k8s.io/v1/tokenreviews";

  KubernetesMockServer server;
  KubernetesClient client;

  private final AtomicInteger reviews = new AtomicInteger();

  /** The API server: agent-token's pod runs on node-7; old-token is from before 1.30. */
  private void answer() {
    server
        .expect()
        .post()
        .withPath(PATH)
        .andReply(
            200,
            request -> {
              reviews.incrementAndGet();
              TokenReview asked =
                  Serialization.unmarshal(request.getBody().readUtf8(), TokenReview.class);
              String token = asked.getSpec().getToken();
              boolean audienceOk = asked.getSpec().getAudiences().equals(List.of("kiam-server"));
              TokenReviewBuilder review = new TokenReviewBuilder(asked);
              if (!audienceOk || !(token.equals("agent-token") || token.equals("old-token"))) {
                return review
                    .withNewStatus()
                    .withAuthenticated(false)
                    .withError("invalid")
                    .endStatus()
                    .build();
              }
              Map<String, List<String>> extra =
                  token.equals("agent-token")
                      ? Map.of(
                          KubernetesTokenReviewer.NODE_NAME,
                          List.of("node-7"),
                          "authentication.kubernetes.io/pod-name",
                          List.of("kiam-agent-x"))
                      : Map.of();
              return review
                  .withNewStatus()
                  .withAuthenticated(true)
                  .withNewUser()
                  .withUsername("system:serviceaccount:kiam:kiam-agent")
                  .withExtra(extra)
                  .endUser()
                  .endStatus()
                  .build();
            })
        .always();
  }

  @Test
  void aProjectedTokenNamesItsPodsNode() {
    answer();

    assertEquals(
        "node-7", new KubernetesTokenReviewer(client, "kiam-server").nodeOf("agent-token"));
  }

  @Test
  void anInvalidTokenOrAnotherAudienceIsRejected() {
    answer();

    assertThrows(
        TokenReviewer.Rejected.class,
        () -> new KubernetesTokenReviewer(client, "kiam-server").nodeOf("forged"));
    assertThrows(
        TokenReviewer.Rejected.class,
        () -> new KubernetesTokenReviewer(client, "other").nodeOf("agent-token"));
  }

  @Test
  void aValidTokenWithoutANodeClaimIsRejectedSayingWhy() {
    answer();

    TokenReviewer.Rejected e =
        assertThrows(
            TokenReviewer.Rejected.class,
            () -> new KubernetesTokenReviewer(client, "kiam-server").nodeOf("old-token"));
    assertTrue(e.getMessage().contains(KubernetesTokenReviewer.NODE_NAME), e.getMessage());
  }

  @Test
  void theCacheAsksOncePerTokenUntilItsTimeIsUp() {
    answer();
    MutableClock clock = new MutableClock();
    ReviewCache cache =
        new ReviewCache(
            new KubernetesTokenReviewer(client, "kiam-server"), Duration.ofMinutes(1), clock);

    cache.nodeOf("agent-token");
    cache.nodeOf("agent-token");
    assertEquals(1, reviews.get());
    clock.advance(Duration.ofMinutes(1));
    assertEquals("node-7", cache.nodeOf("agent-token"));
    assertEquals(2, reviews.get());
  }
}
