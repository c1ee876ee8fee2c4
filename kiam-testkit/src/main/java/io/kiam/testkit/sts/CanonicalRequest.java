package io.kiam.testkit.sts;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Builds the SigV4 canonical request exactly as AWS computes it on the server side. */
final class CanonicalRequest {
  private CanonicalRequest() {}

  static String of(QueryRequest request, List<String> signedHeaders, String payloadHash)
      throws StsErrorException {
    return request.method()
        + '\n'
        + canonicalUri(request.rawPath())
        + '\n'
        + canonicalQuery(request.rawQuery())
        + '\n'
        + canonicalHeaders(request, signedHeaders)
        + '\n'
        + String.join(";", signedHeaders)
        + '\n'
        + payloadHash;
  }

  /** Services other than S3 encode the (already encoded) path once more, segment by segment. */
  static String canonicalUri(String rawPath) {
    return Arrays.stream(rawPath.split("/", -1))
        .map(CanonicalRequest::encode)
        .collect(Collectors.joining("/"));
  }

  static String canonicalQuery(String rawQuery) throws StsErrorException {
    List<String[]> encoded = new ArrayList<>();
    for (Map.Entry<String, String> pair : QueryRequest.decodePairs(rawQuery)) {
      encoded.add(new String[] {encode(pair.getKey()), encode(pair.getValue())});
    }
    encoded.sort(Comparator.<String[], String>comparing(p -> p[0]).thenComparing(p -> p[1]));
    return encoded.stream().map(p -> p[0] + "=" + p[1]).collect(Collectors.joining("&"));
  }

  private static String canonicalHeaders(QueryRequest request, List<String> signedHeaders) {
    StringBuilder headers = new StringBuilder();
    for (String name : signedHeaders) {
      String value =
          request.headerValues(name).stream()
              .map(v -> v.strip().replaceAll(" +", " "))
              .collect(Collectors.joining(","));
      headers.append(name).append(':').append(value).append('\n');
    }
    return headers.toString();
  }

  /** RFC 3986 percent-encoding with upper-case hex; only unreserved characters stay as they are. */
  static String encode(String s) {
    StringBuilder out = new StringBuilder();
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'A' && c <= 'Z')
          || (c >= 'a' && c <= 'z')
          || (c >= '0' && c <= '9')
          || c == '-'
          || c == '_'
          || c == '.'
          || c == '~') {
        out.append(c);
      } else {
        out.append('%').append(String.format("%02X", b & 0xff));
      }
    }
    return out.toString();
  }
}
