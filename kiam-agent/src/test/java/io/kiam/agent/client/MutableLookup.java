package io.kiam.agent.client;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** A name look-up whose answer the test changes, as DNS does when server pods come and go. */
final class MutableLookup implements HostLookup {
  private volatile List<InetAddress> addresses;
  private final AtomicInteger lookups = new AtomicInteger();

  MutableLookup(String... ips) {
    set(ips);
  }

  void set(String... ips) {
    try {
      InetAddress[] parsed = new InetAddress[ips.length];
      for (int i = 0; i < ips.length; i++) {
        parsed[i] = InetAddress.getByName(ips[i]);
      }
      addresses = List.of(parsed);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }

  int lookups() {
    return lookups.get();
  }

  @Override
  public List<InetAddress> lookup(String host) throws UnknownHostException {
    lookups.incrementAndGet();
    if (addresses.isEmpty()) {
      throw new UnknownHostException(host + ": no such host (test)");
    }
    return addresses;
  }
}
