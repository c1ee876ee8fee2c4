package io.kiam.agent.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Removes a taint from a node through the Kubernetes API with a JSON patch that first tests each
 * taint's key: a concurrent change to the taint list fails the patch instead of removing someone
 * else's taint. Plain JDK HTTP, so the agent carries no Kubernetes client for one call per boot.
 */
public final class ApiServerNodeTaints implements NodeTaints {
  static final String JSON_PATCH = "application/json-patch+json";
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI apiServer;
  private final Path tokenFile;
  private final HttpClient http;

  private ApiServerNodeTaints(URI apiServer, Path tokenFile, HttpClient http) {
    this.apiServer = apiServer;
    this.tokenFile = tokenFile;
    this.http = http;
  }

  /** A client for the API the config names, trusting only its CA file when one is given. */
  public static ApiServerNodeTaints create(StartupTaintConfig config) {
    HttpClient.Builder builder =
        HttpClient.newBuilder()
            .connectTimeout(TIMEOUT)
            .followRedirects(HttpClient.Redirect.NEVER)
            .version(HttpClient.Version.HTTP_1_1);
    config.caFile().ifPresent(ca -> builder.sslContext(trusting(ca)));
    return new ApiServerNodeTaints(config.apiServer(), config.tokenFile(), builder.build());
  }

  @Override
  public boolean remove(String nodeName, String taintKey)
      throws NodeApiException, InterruptedException {
    URI node = apiServer.resolve("/api/v1/nodes/" + nodeName);
    HttpResponse<String> got = send(request(node).GET().build(), "read node " + nodeName);
    JsonNode taints = parse(got.body()).path("spec").path("taints");
    List<Integer> matching = new ArrayList<>();
    for (int i = 0; i < taints.size(); i++) {
      if (taintKey.equals(taints.get(i).path("key").asText(null))) {
        matching.add(0, i); // highest index first: removing it leaves the lower ones in place
      }
    }
    if (matching.isEmpty()) {
      return false;
    }
    ArrayNode patch = JSON.createArrayNode();
    for (int index : matching) {
      String path = "/spec/taints/" + index;
      patch.addObject().put("op", "test").put("path", path + "/key").put("value", taintKey);
      patch.addObject().put("op", "remove").put("path", path);
    }
    send(
        request(node)
            .header("Content-Type", JSON_PATCH)
            .method("PATCH", HttpRequest.BodyPublishers.ofString(patch.toString()))
            .build(),
        "remove taint " + taintKey + " from node " + nodeName);
    return true;
  }

  private HttpRequest.Builder request(URI uri) throws NodeApiException {
    return HttpRequest.newBuilder(uri)
        .timeout(TIMEOUT)
        .header("Accept", "application/json")
        .header("Authorization", "Bearer " + token());
  }

  private String token() throws NodeApiException {
    try {
      return Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new NodeApiException("cannot read the service account token " + tokenFile, e);
    }
  }

  private HttpResponse<String> send(HttpRequest request, String what)
      throws NodeApiException, InterruptedException {
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new NodeApiException("cannot " + what + ": " + e, e);
    }
    int status = response.statusCode();
    if (status / 100 != 2) {
      throw new NodeApiException(
          "cannot "
              + what
              + ": the API answered "
              + status
              + " "
              + reason(response.body())
              + (status == 403
                  ? " (the agent's RBAC and the chart's ValidatingAdmissionPolicy allow only"
                      + " removing this taint from the agent's own node)"
                  : ""),
          status);
    }
    return response;
  }

  /** The API's Status message, which names the refused change but never a credential. */
  private static String reason(String body) {
    try {
      return JSON.readTree(body).path("message").asText("");
    } catch (IOException e) {
      return "";
    }
  }

  private static JsonNode parse(String body) throws NodeApiException {
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      throw new NodeApiException("the API's node is not JSON", e);
    }
  }

  private static SSLContext trusting(Path caFile) {
    try (InputStream in = Files.newInputStream(caFile)) {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (Certificate cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        store.setCertificateEntry("ca-" + i++, cert);
      }
      if (i == 0) {
        throw new IllegalArgumentException("--kube-ca-file: no certificate in " + caFile);
      }
      TrustManagerFactory trust =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(store);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, trust.getTrustManagers(), null);
      return context;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("--kube-ca-file: cannot load " + caFile + ": " + e, e);
    }
  }
}
