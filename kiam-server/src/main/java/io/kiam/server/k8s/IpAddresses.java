package io.kiam.server.k8s;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * Canonical text for IP addresses, so that "fd00::1" from the agent and "fd00:0:0:0:0:0:0:1" from
 * the API server meet in the index; never resolves a name.
 */
public final class IpAddresses {
  private static final Pattern IPV4 =
      Pattern.compile(
          "((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
  private static final Pattern IPV6_CHARS = Pattern.compile("[0-9a-fA-F:.]{2,45}");

  private IpAddresses() {}

  /** The canonical form; throws IllegalArgumentException when the text is not an IP literal. */
  public static String canonical(String text) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("the IP address is empty");
    }
    if (IPV4.matcher(text).matches()) {
      return text;
    }
    // Only IPv6 literals reach InetAddress: a string with a colon is never looked up in DNS.
    if (!text.contains(":") || !IPV6_CHARS.matcher(text).matches()) {
      throw new IllegalArgumentException("'" + shorten(text) + "' is not an IP address");
    }
    try {
      InetAddress address = InetAddress.getByName(text);
      return address.getHostAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("'" + shorten(text) + "' is not an IP address", e);
    }
  }

  /** Whether the text is an IP literal. */
  public static boolean isValid(String text) {
    try {
      canonical(text);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static String shorten(String text) {
    return text.length() <= 64 ? text : text.substring(0, 64) + "...";
  }
}
