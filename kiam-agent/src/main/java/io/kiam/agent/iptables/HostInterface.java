package io.kiam.agent.iptables;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The interface pods' traffic arrives on, as {@code --host-interface} names it: {@code eth0}, a
 * prefix such as {@code cali+} or {@code eni+}, or a negation such as {@code !eth0} (everything but
 * the node's own uplink).
 */
public record HostInterface(String name, boolean negated) {
  // Linux names are at most 15 bytes; '/' and whitespace are refused by the kernel. iptables treats
  // a trailing '+' as "any name with this prefix".
  private static final Pattern NAME =
      Pattern.compile("[A-Za-z0-9._@-]{1,15}|[A-Za-z0-9._@-]{1,14}\\+");

  public HostInterface {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "--host-interface: '"
              + name
              + "' is not an interface name (up to 15 of letters, digits, '.', '_', '@', '-';"
              + " a trailing '+' matches a prefix, e.g. cali+)");
    }
  }

  /** Parses {@code cali+}, {@code eth0} or {@code !eth0}. */
  public static HostInterface parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("--host-interface: missing value");
    }
    String value = text.strip();
    if (value.startsWith("!")) {
      return new HostInterface(value.substring(1), true);
    }
    return new HostInterface(value, false);
  }

  /** The iptables match: {@code -i cali+} or {@code ! -i eth0}. */
  List<String> match() {
    return negated ? List.of("!", "-i", name) : List.of("-i", name);
  }

  @Override
  public String toString() {
    return (negated ? "!" : "") + name;
  }
}
