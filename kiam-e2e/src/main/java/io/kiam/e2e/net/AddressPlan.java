package io.kiam.e2e.net;

/**
 * The IPv4 addresses of one run, all inside 10.231.BLOCK.0/24: a /30 uplink between the machine and
 * the node, one address per kiam-server in .8/29 on the machine's end of the uplink, and pod
 * addresses in the upper half, routed to the node.
 */
public record AddressPlan(int block) {
  /** The local mode's block; test runs take blocks below it. */
  public static final int LOCAL_BLOCK = 250;

  /** At most this many kiam-servers: their addresses fill .8/29. */
  public static final int MAX_SERVERS = 8;

  private static final int FIRST_SERVER_HOST = 8;
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

  /** The address of kiam-server n (0-based), on the machine's end of the uplink. */
  public String serverAddress(int index) {
    if (index < 0 || index >= MAX_SERVERS) {
      throw new IllegalArgumentException("no server address for index " + index);
    }
    return base() + (FIRST_SERVER_HOST + index);
  }

  /** The servers' range, routed from the node to the machine. */
  public String serverCidr() {
    return base() + FIRST_SERVER_HOST + "/29";
  }

  /** Whether the address is one a pod's network namespace may hold (the routed pod range). */
  public boolean isPodAddress(String ip) {
    if (!ip.startsWith(base())) {
      return false;
    }
    try {
      int host = Integer.parseInt(ip.substring(base().length()));
      return host >= FIRST_POD_HOST && host <= LAST_POD_HOST;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /** How many pod addresses the block has. */
  public int podSlots() {
    return LAST_POD_HOST - FIRST_POD_HOST + 1;
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
