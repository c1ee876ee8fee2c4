package io.kiam.e2e.net;

/**
 * The IPv4 addresses of one run, all inside 10.231.BLOCK.0/24: a /30 uplink between the machine and
 * the node, and pod addresses in the upper half, routed to the node.
 */
public record AddressPlan(int block) {
  /** The local mode's block; test runs take blocks below it. */
  public static final int LOCAL_BLOCK = 250;

  private static final int FIRST_POD_HOST = 129;
  private static final int LAST_POD_HOST = 254;

  public AddressPlan {
    if (block < 0 || block > 255) {
      throw new IllegalArgumentException("block must be 0..255: " + block);
    }
  }

  public String base() {
    return "10.231." + block + ".";
  }

  /** The whole block, to check against the machine's routes before using it. */
  public String blockCidr() {
    return base() + "0/24";
  }

  /** The machine's end of the uplink: the mock API server, STS and kiam-server listen here. */
  public String hostAddress() {
    return base() + "1";
  }

  /** The node's address (its HOST_IP): the agent listens here and the pods route through it. */
  public String nodeAddress() {
    return base() + "2";
  }

  public String uplinkCidrSuffix() {
    return "/30";
  }

  /** The pods' range, routed from the machine to the node. */
  public String podCidr() {
    return base() + "128/25";
  }

  /** The address of pod slot n (0-based). */
  public String podAddress(int slot) {
    int host = FIRST_POD_HOST + slot;
    if (slot < 0 || host > LAST_POD_HOST) {
      throw new IllegalArgumentException("no pod address for slot " + slot);
    }
    return base() + host;
  }
}
