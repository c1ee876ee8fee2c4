package io.kiam.agent.client;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the kiam-servers are: a host (a DNS name resolving to every server, or an IP literal) and a
 * port, parsed from {@code dns:///kiam-server.kiam.svc.cluster.local:9610}, {@code
 * kiam-server:9610}, {@code 10.0.0.1:9610} or {@code [fd00::1]:9610}.
 */
public record ServerTarget(String host, int port) {
  /** kiam-server's default port, used when the address names none. */
  public static final int DEFAULT_PORT = 9610;

  private static final Pattern HOST_NAME =
      Pattern.compile(
          "(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\\.?");
  private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]+(%[A-Za-z0-9_.-]+)?");
  private static final Pattern WITH_PORT = Pattern.compile("(.*):([0-9]{1,5})");

  public ServerTarget {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("server address has no host");
    }
    if (!HOST_NAME.matcher(host).matches()
        && !(host.contains(":") && IPV6.matcher(host).matches())) {
      throw new IllegalArgumentException("server address host is not a DNS name or IP: " + host);
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("server address port out of range 1..65535: " + port);
    }
  }

  /**
   * Parses an address as kiam's {@code --server-address} takes it; bad input says what is wrong.
   */
  public static ServerTarget parse(String address) {
    if (address == null || address.isBlank()) {
      throw new IllegalArgumentException("server address is empty");
    }
    String rest = address.strip();
    if (rest.toLowerCase(Locale.ROOT).startsWith("dns:///")) {
      rest = rest.substring("dns:///".length());
    } else if (rest.contains("://") || rest.toLowerCase(Locale.ROOT).startsWith("dns:")) {
      throw new IllegalArgumentException(
          "server address '" + address + "': only dns:///HOST:PORT or HOST:PORT are supported");
    }
    if (rest.startsWith("[")) {
      int close = rest.indexOf(']');
      if (close < 0) {
        throw new IllegalArgumentException("server address '" + address + "': missing ']'");
      }
      String host = rest.substring(1, close);
      String tail = rest.substring(close + 1);
      if (tail.isEmpty()) {
        return new ServerTarget(host, DEFAULT_PORT);
      }
      if (!tail.matches(":[0-9]{1,5}")) {
        throw new IllegalArgumentException("server address '" + address + "': bad port after ']'");
      }
      return new ServerTarget(host, Integer.parseInt(tail.substring(1)));
    }
    if (rest.chars().filter(c -> c == ':').count() > 1) {
      throw new IllegalArgumentException(
          "server address '" + address + "': write IPv6 addresses in brackets, [fd00::1]:9610");
    }
    Matcher m = WITH_PORT.matcher(rest);
    if (m.matches()) {
      return new ServerTarget(m.group(1), Integer.parseInt(m.group(2)));
    }
    if (rest.contains(":")) {
      throw new IllegalArgumentException("server address '" + address + "': bad port");
    }
    return new ServerTarget(rest, DEFAULT_PORT);
  }

  /** The authority: {@code host:port}, IPv6 in brackets. */
  public String authority() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  @Override
  public String toString() {
    return authority();
  }
}
