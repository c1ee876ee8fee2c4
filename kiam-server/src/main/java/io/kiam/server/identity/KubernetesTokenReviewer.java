package io.kiam.server.identity;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatus;
import io.fabric8.kubernetes.api.model.authentication.UserInfo;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@link TokenReviewer} through the API server's TokenReview: the token must be valid for the
 * audience and be a pod-bound service-account token whose {@code
 * authentication.kubernetes.io/node-name} claim names the node (Kubernetes 1.30 and later put it in
 * every projected token of a scheduled pod).
 */
public final class KubernetesTokenReviewer implements TokenReviewer {
  /** The claim TokenReview reports the token's node under, in {@code status.user.extra}. */
  public static final String NODE_NAME = "authentication.kubernetes.io/node-name";

  private final KubernetesClient client;
  private final String audience;

  public KubernetesTokenReviewer(KubernetesClient client, String audience) {
    this.client = Objects.requireNonNull(client, "client");
    this.audience = Objects.requireNonNull(audience, "audience");
  }

  @Override
  public String nodeOf(String token) {
    TokenReview review =
        new TokenReviewBuilder()
            .withNewSpec()
            .withToken(token)
            .withAudiences(List.of(audience))
            .endSpec()
            .build();
    TokenReview answer = client.authentication().v1().tokenReviews().create(review);
    TokenReviewStatus status = answer == null ? null : answer.getStatus();
    if (status == null || !Boolean.TRUE.equals(status.getAuthenticated())) {
      String error = status == null || status.getError() == null ? "" : ": " + status.getError();
      throw new Rejected("the token is not valid for audience '" + audience + "'" + error);
    }
    UserInfo user = status.getUser();
    Map<String, List<String>> extra = user == null ? null : user.getExtra();
    List<String> nodes = extra == null ? null : extra.get(NODE_NAME);
    if (nodes == null || nodes.size() != 1 || nodes.get(0).isBlank()) {
      throw new Rejected(
          "the token of '"
              + (user == null ? "?" : user.getUsername())
              + "' names no node ("
              + NODE_NAME
              + "): give the agent a projected service-account token (Kubernetes 1.30 or later)");
    }
    return nodes.get(0);
  }
}
