package io.kiam.common.cli;

import java.net.InetSocketAddress;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads listen addresses: "0.0.0.0:9610", ":9620" (all interfaces), "[::1]:80", "localhost:9610".
 */
public final class HostPortConverter implements ITypeConverter<InetSocketAddress> {
  @Override
  public InetSocketAddress convert(String value) {
    return parse(value);
  }

  /** Parses HOST:PORT without resolving names yet (resolution happens when binding). */
  public static InetSocketAddress parse(String value) {
    String text = value == null ? "" : value.trim();
    int colon = text.lastIndexOf(':');
    if (colon < 0) {
      throw new TypeConversionException("'" + value + "' is not HOST:PORT (example: 0.0.0.0:9610)");
    }
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.contains(":")) {
      throw new TypeConversionException(
          "'" + value + "': write IPv6 addresses in brackets, as [::1]:9610");
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new TypeConversionException("'" + value + "': the port is not a number");
    }
    if (port < 0 || port > 65535) {
      throw new TypeConversionException("'" + value + "': the port must be 0..65535");
    }
    return InetSocketAddress.createUnresolved(host.isEmpty() ? "0.0.0.0" : host, port);
  }
}
