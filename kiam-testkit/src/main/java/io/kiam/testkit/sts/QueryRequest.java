package io.kiam.testkit.sts;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP request in the AWS query protocol: the raw parts the signature covers and the parameters
 * from the query string and, for a form-encoded body, from the body.
 */
final class QueryRequest {
  static final int MAX_BODY_BYTES = 256 * 1024;

  private final String method;
  private final String rawPath;
  private final String rawQuery;
  private final Map<String, List<String>> headers;
  private final byte[] body;
  private final Map<String, String> params;

  QueryRequest(
      String method,
      String rawPath,
      String rawQuery,
      Map<String, List<String>> headers,
      byte[] body)
      throws StsErrorException {
    this.method = method;
    this.rawPath = rawPath == null || rawPath.isEmpty() ? "/" : rawPath;
    this.rawQuery = rawQuery == null ? "" : rawQuery;
    this.headers = lowerCaseKeys(headers);
    this.body = body.clone();
    this.params = new LinkedHashMap<>();
    for (Map.Entry<String, String> pair : decodePairs(this.rawQuery)) {
      params.putIfAbsent(pair.getKey(), pair.getValue());
    }
    String contentType = header("content-type");
    if (contentType != null
        && contentType.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
      for (Map.Entry<String, String> pair : decodePairs(new String(body, StandardCharsets.UTF_8))) {
        params.putIfAbsent(pair.getKey(), pair.getValue());
      }
    }
  }

  static QueryRequest read(HttpExchange exchange) throws IOException, StsErrorException {
    byte[] body;
    try (InputStream in = exchange.getRequestBody()) {
      body = in.readNBytes(MAX_BODY_BYTES + 1);
    }
    if (body.length > MAX_BODY_BYTES) {
      throw new StsErrorException(
          StsError.validation("Request body is larger than " + MAX_BODY_BYTES + " bytes"));
    }
    return new QueryRequest(
        exchange.getRequestMethod(),
        exchange.getRequestURI().getRawPath(),
        exchange.getRequestURI().getRawQuery(),
        exchange.getRequestHeaders(),
        body);
  }

  /** Decodes {@code a=1&b=2} (query string or form body) into pairs, in order, '+' as space. */
  static List<Map.Entry<String, String>> decodePairs(String encoded) throws StsErrorException {
    List<Map.Entry<String, String>> pairs = new ArrayList<>();
    if (encoded.isEmpty()) {
      return pairs;
    }
    for (String item : encoded.split("&")) {
      if (item.isEmpty()) {
        continue;
      }
      int eq = item.indexOf('=');
      String key = eq < 0 ? item : item.substring(0, eq);
      String value = eq < 0 ? "" : item.substring(eq + 1);
      pairs.add(Map.entry(decode(key), decode(value)));
    }
    return pairs;
  }

  private static String decode(String s) throws StsErrorException {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new StsErrorException(
          StsError.malformedQueryString("Malformed percent-encoding in '" + s + "'"));
    }
  }

  private static Map<String, List<String>> lowerCaseKeys(Map<String, List<String>> headers) {
    Map<String, List<String>> lower = new LinkedHashMap<>();
    headers.forEach(
        (name, values) ->
            lower
                .computeIfAbsent(name.toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                .addAll(values));
    return lower;
  }

  String method() {
    return method;
  }

  String rawPath() {
    return rawPath;
  }

  String rawQuery() {
    return rawQuery;
  }

  byte[] body() {
    return body.clone();
  }

  /** All values of a header, by lower-case name; empty when absent. */
  List<String> headerValues(String lowerCaseName) {
    return headers.getOrDefault(lowerCaseName, List.of());
  }

  String header(String lowerCaseName) {
    List<String> values = headerValues(lowerCaseName);
    return values.isEmpty() ? null : values.get(0);
  }

  String param(String name) {
    return params.get(name);
  }

  Map<String, String> params() {
    return Map.copyOf(params);
  }
}
