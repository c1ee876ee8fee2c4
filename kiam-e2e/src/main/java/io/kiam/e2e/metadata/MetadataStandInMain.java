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
    System.out.println("metadata stand-in listening on " + args[0] + ":" + args[1]);
    new CountDownLatch(1).await();
  }
}
