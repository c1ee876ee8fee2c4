package io.kiam.e2e.metadata;

import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;

/**
 * Runs the metadata stand-in until killed: `ip netns exec NODE java -cp ... MetadataStandInMain
 * 169.254.169.254 80 [open|hardened|hop_limit_1]`.
 */
public final class MetadataStandInMain {
  private MetadataStandInMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 2 && args.length != 3) {
      System.err.println("usage: MetadataStandInMain ADDRESS PORT [open|hardened|hop_limit_1]");
      System.exit(2);
    }
    MetadataStandIn.Mode mode =
        args.length == 3
            ? MetadataStandIn.Mode.valueOf(args[2].toUpperCase(java.util.Locale.ROOT))
            : MetadataStandIn.Mode.OPEN;
    MetadataStandIn standIn =
        MetadataStandIn.start(new InetSocketAddress(args[0], Integer.parseInt(args[1])), mode);
    Runtime.getRuntime().addShutdownHook(new Thread(standIn::close));
    warmUp(args[0], Integer.parseInt(args[1]));
    System.out.println("metadata stand-in listening on " + args[0] + ":" + args[1]);
    new CountDownLatch(1).await();
  }

  /**
   * Asks itself once (inside the node, where it runs) before saying it listens: a cold JVM's first
   * answer can take seconds on a loaded machine, longer than a daemon's metadata timeout.
   */
  private static void warmUp(String address, int port) {
    for (String method : new String[] {"PUT", "GET"}) {
      try {
        java.net.HttpURLConnection c =
            (java.net.HttpURLConnection)
                java.net
                    .URI
                    .create(
                        "http://"
                            + address
                            + ":"
                            + port
                            + (method.equals("PUT") ? "/latest/api/token" : "/latest/meta-data/"))
                    .toURL()
                    .openConnection(java.net.Proxy.NO_PROXY);
        c.setRequestMethod(method);
        c.setRequestProperty("X-aws-ec2-metadata-token-ttl-seconds", "60");
        c.setConnectTimeout(30_000);
        c.setReadTimeout(30_000);
        c.getResponseCode();
        c.disconnect();
      } catch (java.io.IOException e) {
        System.out.println("warm-up " + method + " failed: " + e);
      }
    }
  }
}
