package io.kiam.e2e.metadata;

import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;

/**
 * Runs the metadata stand-in until killed: `ip netns exec NODE java -cp ... MetadataStandInMain
 * 169.254.169.254 80`.
 */
public final class MetadataStandInMain {
  private MetadataStandInMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: MetadataStandInMain ADDRESS PORT");
      System.exit(2);
    }
    MetadataStandIn standIn =
        MetadataStandIn.start(new InetSocketAddress(args[0], Integer.parseInt(args[1])));
    Runtime.getRuntime().addShutdownHook(new Thread(standIn::close));
    System.out.println("metadata stand-in listening on " + args[0] + ":" + args[1]);
    new CountDownLatch(1).await();
  }
}
