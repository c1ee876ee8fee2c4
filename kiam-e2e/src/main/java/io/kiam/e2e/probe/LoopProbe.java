package io.kiam.e2e.probe;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A pod fetching its credentials in a loop, as an SDK does each time its credentials run out: the
 * role listing, then the credentials of the role listed. Each request has one attempt and one
 * second for connect and answer together, botocore's metadata budget (the strictest of the SDKs).
 * Prints one JSON line per round as it goes: {n, at, t0, listing, role, creds, key, error, t1} (t0
 * and t1 the monotonic clock at the round's start and end); never a secret. Runs until its standard
 * input closes, so the test decides when it ends.
 *
 * <p>Usage: {@code LoopProbe HOST PORT PAUSE_MILLIS}
 */
public final class LoopProbe {
  static final int BUDGET_MILLIS = 1000;
  private static final String CREDENTIALS = "/latest/meta-data/iam/security-credentials/";
  private static final Pattern KEY = Pattern.compile("\"AccessKeyId\"\\s*:\\s*\"([A-Z0-9]+)\"");

  private LoopProbe() {}

  public static void main(String[] args) throws Exception {
    String host = args[0];
    int port = Integer.parseInt(args[1]);
    long pause = Long.parseLong(args[2]);
    Thread stdin =
        new Thread(
            () -> {
              try {
                while (System.in.read() >= 0) {
                  // the test writes nothing; EOF is the signal to end
                }
              } catch (IOException e) {
                // ends the loop as EOF does
              }
            },
            "stdin-eof");
    stdin.setDaemon(true);
    stdin.start();
    ObjectMapper json = new ObjectMapper();
    String token = null;
    for (long n = 0; stdin.isAlive(); n++) {
      Map<String, Object> round = new LinkedHashMap<>();
      round.put("n", n);
      round.put("at", System.currentTimeMillis());
      // the machine's monotonic clock (CLOCK_MONOTONIC on Linux, shared by every JVM on it), for
      // benchmarks that time a change made by another process
      round.put("t0", System.nanoTime());
      try {
        if (token == null) {
          Answer put =
              exchange(
                  host,
                  port,
                  "PUT",
                  "/latest/api/token",
                  "X-aws-ec2-metadata-token-ttl-seconds: 21600");
          if (put.status != 200) {
            throw new IOException("token: HTTP " + put.status);
          }
          token = put.body.strip();
        }
        String header = "X-aws-ec2-metadata-token: " + token;
        Answer listing = exchange(host, port, "GET", CREDENTIALS, header);
        round.put("listing", listing.status);
        if (listing.status == 401) {
          token = null;
        }
        if (listing.status == 200) {
          String role = listing.body.strip();
          round.put("role", role);
          Answer creds = exchange(host, port, "GET", CREDENTIALS + role, header);
          round.put("creds", creds.status);
          Matcher key = KEY.matcher(creds.body);
          if (creds.status == 200 && key.find()) {
            round.put("key", key.group(1));
          }
        }
      } catch (IOException | RuntimeException e) {
        round.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
      }
      round.put("t1", System.nanoTime());
      System.out.println(json.writeValueAsString(round));
      System.out.flush();
      if (pause > 0) {
        Thread.sleep(pause);
      }
    }
  }

  private record Answer(int status, String body) {}

  private static Answer exchange(
      String host, int port, String method, String path, String extraHeader) throws IOException {
    long deadline = System.nanoTime() + BUDGET_MILLIS * 1_000_000L;
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), BUDGET_MILLIS);
      StringBuilder head = new StringBuilder();
      head.append(method).append(' ').append(path).append(" HTTP/1.1\r\n");
      head.append("Host: ").append(host).append("\r\n");
      head.append("Connection: close\r\n");
      if (method.equals("PUT")) {
        head.append("Content-Length: 0\r\n");
      }
      head.append(extraHeader).append("\r\n\r\n");
      OutputStream out = socket.getOutputStream();
      out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      byte[] buffer = new byte[4096];
      while (true) {
        long left = (deadline - System.nanoTime()) / 1_000_000L;
        if (left <= 0) {
          throw new IOException(
              "no answer within " + BUDGET_MILLIS + " ms: " + method + " " + path);
        }
        socket.setSoTimeout((int) left);
        int read;
        try {
          read = in.read(buffer);
        } catch (java.net.SocketTimeoutException e) {
          throw new IOException(
              "no answer within " + BUDGET_MILLIS + " ms: " + method + " " + path, e);
        }
        if (read < 0) {
          break;
        }
        all.write(buffer, 0, read);
      }
      String text = all.toString(StandardCharsets.UTF_8);
      int end = text.indexOf("\r\n\r\n");
      if (end < 0) {
        throw new IOException("no complete response to " + method + " " + path);
      }
      int status = Integer.parseInt(text.substring(0, end).split("\r\n")[0].split(" ")[1]);
      String body = text.substring(end + 4);
      if (text.substring(0, end).toLowerCase().contains("transfer-encoding: chunked")) {
        throw new IOException("chunked answer not expected for " + path);
      }
      return new Answer(status, body);
    }
  }
}
