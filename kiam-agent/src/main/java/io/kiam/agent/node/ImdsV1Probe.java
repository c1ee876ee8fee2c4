package io.kiam.agent.node;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Asks the node's metadata service for its instance id without a token, as IMDSv1 clients do. The
 * agent runs in the host network, where its packets never meet its own rule, so the answer is the
 * real service's. Reads nothing secret: the instance id only.
 */
public final class ImdsV1Probe {
  static final String PATH = "latest/meta-data/instance-id";

  private final URI target;
  private final Duration timeout;
  private final HttpClient http;

  public ImdsV1Probe(URI metadataEndpoint, Duration timeout) {
    String base = metadataEndpoint.toString();
    this.target = URI.create(base.endsWith("/") ? base + PATH : base + "/" + PATH);
    this.timeout = timeout;
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(timeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .proxy(HttpClient.Builder.NO_PROXY)
            .build();
  }

  /** One check; never throws for a network problem (that is {@link ImdsV1Status#UNKNOWN}). */
  public ImdsV1Status check() throws InterruptedException {
    HttpRequest get = HttpRequest.newBuilder(target).timeout(timeout).GET().build();
    try {
      int status = http.send(get, HttpResponse.BodyHandlers.discarding()).statusCode();
      if (status == 200) {
        return ImdsV1Status.OPEN;
      }
      if (status == 401) {
        return ImdsV1Status.REQUIRES_TOKEN;
      }
      return ImdsV1Status.UNKNOWN;
    } catch (IOException e) {
      return ImdsV1Status.UNKNOWN;
    }
  }

  /** Where the check asks. */
  public URI target() {
    return target;
  }
}
