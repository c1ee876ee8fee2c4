package io.kiam.e2e.probe;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Raw HTTP requests from inside a pod, byte for byte as given (no client-side normalisation, so
 * path tricks reach the agent as written). Prints a JSON array of {request, status, body} or
 * {request, error}.
 *
 * <p>Usage: {@code HttpProbe HOST PORT [--token] [--repeat N] [--interval-ms M] [--until TEXT]
 * [METHOD:]PATH...}; with {@code --until}, the rounds stop after one in which a 200 answer's body
 * holds TEXT (at most N rounds).
 */
public final class HttpProbe {
  private static final int TIMEOUT_MILLIS = 3000;
  private static final int BODY_LIMIT = 4000;

  private HttpProbe() {}

  public static void main(String[] args) throws Exception {
    String host = args[0];
    int port = Integer.parseInt(args[1]);
    boolean token = false;
    int repeat = 1;
    long interval = 0;
    String until = null;
    List<String> requests = new ArrayList<>();
    for (int i = 2; i < args.length; i++) {
      switch (args[i]) {
        case "--token" -> token = true;
        case "--repeat" -> repeat = Integer.parseInt(args[++i]);
        case "--interval-ms" -> interval = Long.parseLong(args[++i]);
        case "--until" -> until = args[++i];
        default -> requests.add(args[i]);
      }
    }
    List<Map<String, Object>> results = new ArrayList<>();
    boolean reached = false;
    for (int round = 0; round < repeat && !reached; round++) {
      String tokenValue = null;
      if (token) {
        Map<String, Object> put =
            exchange(
                host,
                port,
                "PUT",
                "/latest/api/token",
                "X-aws-ec2-metadata-token-ttl-seconds: 21600");
        results.add(put);
        tokenValue =
            Integer.valueOf(200).equals(put.get("status")) ? (String) put.get("body") : null;
      }
      for (String request : requests) {
        String method = "GET";
        String path = request;
        int colon = request.indexOf(':');
        if (colon > 0 && !request.startsWith("/")) {
          method = request.substring(0, colon);
          path = request.substring(colon + 1);
        }
        String header = tokenValue == null ? null : "X-aws-ec2-metadata-token: " + tokenValue;
        Map<String, Object> result = exchange(host, port, method, path, header);
        result.put("round", round);
        result.put("atMillis", System.currentTimeMillis());
        results.add(result);
        reached |=
            until != null
                && Integer.valueOf(200).equals(result.get("status"))
                && String.valueOf(result.get("body")).contains(until);
      }
      if (interval > 0 && round + 1 < repeat && !reached) {
        Thread.sleep(interval);
      }
    }
    System.out.println(new ObjectMapper().writeValueAsString(results));
  }

  private static Map<String, Object> exchange(
      String host, int port, String method, String path, String extraHeader) {
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("request", method + " " + path);
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), TIMEOUT_MILLIS);
      socket.setSoTimeout(TIMEOUT_MILLIS);
      StringBuilder head = new StringBuilder();
      head.append(method).append(' ').append(path).append(" HTTP/1.1\r\n");
      head.append("Host: ").append(host).append("\r\n");
      head.append("Connection: close\r\n");
      if (method.equals("PUT")) {
        head.append("Content-Length: 0\r\n");
      }
      if (extraHeader != null) {
        head.append(extraHeader).append("\r\n");
      }
      head.append("\r\n");
      OutputStream out = socket.getOutputStream();
      out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      parse(socket.getInputStream(), result);
    } catch (IOException | RuntimeException e) {
      result.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
    }
    return result;
  }

  private static void parse(InputStream in, Map<String, Object> result) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    in.transferTo(all);
    String text = all.toString(StandardCharsets.ISO_8859_1);
    int end = text.indexOf("\r\n\r\n");
    if (end < 0) {
      throw new IOException("no complete response (" + text.length() + " bytes)");
    }
    String[] headLines = text.substring(0, end).split("\r\n");
    result.put("status", Integer.parseInt(headLines[0].split(" ")[1]));
    String body = text.substring(end + 4);
    for (String line : headLines) {
      String lower = line.toLowerCase();
      if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
        body = dechunk(body);
      }
      if (lower.startsWith("location:")) {
        result.put("location", line.substring("location:".length()).strip());
      }
    }
    byte[] bytes = body.getBytes(StandardCharsets.ISO_8859_1);
    String decoded = new String(bytes, StandardCharsets.UTF_8);
    result.put("body", decoded.length() > BODY_LIMIT ? decoded.substring(0, BODY_LIMIT) : decoded);
  }

  private static String dechunk(String chunked) {
    StringBuilder out = new StringBuilder();
    int at = 0;
    while (at < chunked.length()) {
      int lineEnd = chunked.indexOf("\r\n", at);
      if (lineEnd < 0) {
        break;
      }
      int size = Integer.parseInt(chunked.substring(at, lineEnd).split(";")[0].strip(), 16);
      if (size == 0) {
        break;
      }
      out.append(chunked, lineEnd + 2, Math.min(chunked.length(), lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
    return out.toString();
  }
}
