package io.kiam.e2e.local;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The supervisor's control endpoint the script talks to (curl, loopback only, a token from a file
 * only root reads): one command at a time, each answered with the line to print, 400 and one line
 * for bad input.
 */
final class LocalControl implements AutoCloseable {
  static final String TOKEN_HEADER = "X-Kiam-Local-Token";
  private static final Logger log = LoggerFactory.getLogger(LocalControl.class);

  private final HttpServer server;
  private final ExecutorService executor;

  private LocalControl(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /** Listens on a free loopback port and writes "PORT TOKEN" to the file (mode 0600). */
  static LocalControl start(LocalLab lab, Path controlFile, Runnable afterChange) {
    byte[] secret = new byte[24];
    new SecureRandom().nextBytes(secret);
    String token = HexFormat.of().formatHex(secret);
    try {
      HttpServer server =
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
      ExecutorService executor =
          Executors.newSingleThreadExecutor(
              r -> {
                Thread t = new Thread(r, "kiam-local-control");
                t.setDaemon(true);
                return t;
              });
      server.setExecutor(executor);
      server.createContext("/", exchange -> handle(exchange, lab, token, afterChange));
      server.start();
      Path temp = controlFile.resolveSibling(controlFile.getFileName() + ".tmp");
      Files.deleteIfExists(temp);
      Files.createFile(
          temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(temp, server.getAddress().getPort() + " " + token + "\n");
      Files.move(temp, controlFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      return new LocalControl(server, executor);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the control endpoint", e);
    }
  }

  private static void handle(
      HttpExchange exchange, LocalLab lab, String token, Runnable afterChange) throws IOException {
    try (exchange) {
      String given = exchange.getRequestHeaders().getFirst(TOKEN_HEADER);
      if (given == null
          || !MessageDigest.isEqual(
              given.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8))) {
        send(exchange, 403, "not allowed: the control token is missing or wrong\n");
        return;
      }
      Map<String, List<String>> params =
          form(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      String path = exchange.getRequestURI().getPath();
      try {
        String answer = route(path, params, lab);
        if (!path.equals("/status") && !path.equals("/pod/netns")) {
          afterChange.run();
        }
        send(exchange, 200, answer.endsWith("\n") ? answer : answer + "\n");
      } catch (IllegalArgumentException e) {
        send(exchange, 400, e.getMessage() + "\n");
      } catch (RuntimeException e) {
        log.atWarn().addKeyValue("control.path", path).log("control command failed", e);
        afterChange.run();
        send(exchange, 500, "failed: " + e.getMessage() + " (see the supervisor's log)\n");
      }
    }
  }

  private static String route(String path, Map<String, List<String>> params, LocalLab lab) {
    return switch (path) {
      case "/status" -> lab.status().toJson();
      case "/pod/add" ->
          lab.addPod(
              one(params, "name"),
              one(params, "namespace"),
              one(params, "role"),
              one(params, "ip"),
              flag(params, "no-netns"),
              flag(params, "host-network"));
      case "/pod/netns" -> lab.netnsOf(one(params, "name"));
      case "/pod/delete" ->
          lab.deletePod(one(params, "name"), one(params, "namespace"), flag(params, "keep-netns"));
      case "/pod/annotate" -> {
        String role = one(params, "role");
        if ((role == null) == !flag(params, "no-role")) {
          throw new IllegalArgumentException("pod annotate takes --role ROLE or --no-role");
        }
        yield lab.annotatePod(one(params, "name"), one(params, "namespace"), role);
      }
      case "/namespace/annotate" -> {
        String permitted = one(params, "permitted");
        if ((permitted == null) == !flag(params, "no-permitted")) {
          throw new IllegalArgumentException(
              "namespace annotate takes --permitted REGEX or --no-permitted");
        }
        yield lab.annotateNamespace(one(params, "name"), permitted);
      }
      case "/fault" -> lab.fault(params.getOrDefault("arg", List.of()));
      default -> throw new IllegalArgumentException("no such command: " + path);
    };
  }

  private static String one(Map<String, List<String>> params, String name) {
    List<String> values = params.getOrDefault(name, List.of());
    if (values.size() > 1) {
      throw new IllegalArgumentException("--" + name + " is given twice");
    }
    return values.isEmpty() ? null : values.get(0);
  }

  private static boolean flag(Map<String, List<String>> params, String name) {
    return params.containsKey(name);
  }

  private static Map<String, List<String>> form(String body) {
    Map<String, List<String>> params = new LinkedHashMap<>();
    for (String pair : body.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String value =
          eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      params.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
    }
    return params;
  }

  private static void send(HttpExchange exchange, int status, String text) throws IOException {
    byte[] body = text.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    exchange.sendResponseHeaders(status, body.length);
    exchange.getResponseBody().write(body);
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
