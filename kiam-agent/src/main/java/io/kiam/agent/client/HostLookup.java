package io.kiam.agent.client;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * Turns the servers' DNS name into the addresses of every server (a headless Service's records).
 */
@FunctionalInterface
public interface HostLookup {
  List<InetAddress> lookup(String host) throws UnknownHostException;

  /** The JVM's resolver: /etc/hosts and DNS, subject to the JVM's own address cache. */
  static HostLookup system() {
    return host -> List.of(InetAddress.getAllByName(host));
  }
}
