package io.kiam.testkit.sts;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

/**
 * A hand-built STS request signed by the AWS SDK's own SigV4 signer and sent with the JDK's HTTP
 * client, so tests can change what the SDK would never send (the body after signing, the signing
 * time, the service, GET with a query string, no signature at all).
 */
final class RawStsRequest {
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private static final Set<String> SET_BY_JDK = Set.of("host", "content-length");

  private final URI endpoint;
  private SdkHttpMethod method = SdkHttpMethod.POST;
  private String query = "";
  private String body = "";
  private String service = "sts";
  private String region = "us-east-1";
  private Clock signingClock = Clock.systemUTC();

  RawStsRequest(URI endpoint) {
    this.endpoint = endpoint;
  }

  RawStsRequest get(String query) {
    this.method = SdkHttpMethod.GET;
    this.query = query;
    return this;
  }

  RawStsRequest post(String formBody) {
    this.method = SdkHttpMethod.POST;
    this.body = formBody;
    return this;
  }

  RawStsRequest service(String service) {
    this.service = service;
    return this;
  }

  RawStsRequest signingClock(Clock clock) {
    this.signingClock = clock;
    return this;
  }

  /** The request as signed, ready to be sent (possibly with another body). */
  SdkHttpRequest sign(AwsCredentialsIdentity credentials) {
    SdkHttpRequest request =
        SdkHttpRequest.builder()
            .method(method)
            .uri(URI.create(endpoint + (query.isEmpty() ? "" : "?" + query)))
            .putHeader("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
            .build();
    return AwsV4HttpSigner.create()
        .sign(
            r ->
                r.identity(credentials)
                    .request(request)
                    .payload(ContentStreamProvider.fromUtf8String(body))
                    .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, service)
                    .putProperty(AwsV4HttpSigner.REGION_NAME, region)
                    .putProperty(HttpSigner.SIGNING_CLOCK, signingClock))
        .request();
  }

  HttpResponse<String> sendSigned(AwsCredentialsIdentity credentials) throws Exception {
    return send(sign(credentials).headers(), body);
  }

  HttpResponse<String> sendUnsigned() throws Exception {
    return send(Map.of("Content-Type", List.of("application/x-www-form-urlencoded")), body);
  }

  HttpResponse<String> send(Map<String, List<String>> headers, String sentBody)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(endpoint + (query.isEmpty() ? "" : "?" + query)))
            .timeout(Duration.ofSeconds(10))
            .method(method.name(), HttpRequest.BodyPublishers.ofString(sentBody));
    headers.forEach(
        (name, values) -> {
          if (!SET_BY_JDK.contains(name.toLowerCase())) {
            values.forEach(v -> request.header(name, v));
          }
        });
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Parses a response body namespace-aware, as the SDK's unmarshaller does. */
  static Document xml(String body) throws Exception {
    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setNamespaceAware(true);
    return factory.newDocumentBuilder().parse(new ByteArrayInputStream(body.getBytes()));
  }

  /** The text of the first element with this local name in STS's namespace. */
  static String text(Document document, String localName) {
    var nodes = document.getElementsByTagNameNS(StsXml.NAMESPACE, localName);
    return nodes.getLength() == 0 ? null : nodes.item(0).getTextContent();
  }
}
