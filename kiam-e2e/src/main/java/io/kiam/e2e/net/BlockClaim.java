package io.kiam.e2e.net;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Claims an address block no other run holds (a file lock for the run's lifetime) and no network of
 * the machine overlaps (checked against its routes and addresses).
 */
public final class BlockClaim implements AutoCloseable {
  private static final Path LOCK_DIR = Path.of("/run/lock");

  private final AddressPlan plan;
  private final FileChannel channel;
  private final FileLock lock;

  private BlockClaim(AddressPlan plan, FileChannel channel, FileLock lock) {
    this.plan = plan;
    this.channel = channel;
    this.lock = lock;
  }

  /** Claims exactly this block or fails saying why. */
  public static BlockClaim exactly(int block) {
    return tryClaim(block)
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "address block "
                        + new AddressPlan(block).blockCidr()
                        + " is in use by another run or a network of this machine"));
  }

  /** Claims the first free block, starting at a seed so parallel runs spread out. */
  public static BlockClaim any(int seed) {
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < AddressPlan.LOCAL_BLOCK; i++) {
      order.add(Math.floorMod(seed + i, AddressPlan.LOCAL_BLOCK));
    }
    for (int block : order) {
      var claim = tryClaim(block);
      if (claim.isPresent()) {
        return claim.get();
      }
    }
    throw new IllegalStateException("no free address block in 10.231.0.0/16");
  }

  private static java.util.Optional<BlockClaim> tryClaim(int block) {
    AddressPlan plan = new AddressPlan(block);
    if (inUseByMachine(plan)) {
      return java.util.Optional.empty();
    }
    try {
      Path dir = Files.isDirectory(LOCK_DIR) ? LOCK_DIR : Path.of("/tmp");
      FileChannel channel =
          FileChannel.open(
              dir.resolve("kiam-e2e-block-" + block + ".lock"),
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE);
      FileLock lock = channel.tryLock();
      if (lock == null) {
        channel.close();
        return java.util.Optional.empty();
      }
      return java.util.Optional.of(new BlockClaim(plan, channel, lock));
    } catch (java.nio.channels.OverlappingFileLockException e) {
      return java.util.Optional.empty();
    } catch (IOException e) {
      throw new IllegalStateException("cannot lock address block " + block, e);
    }
  }

  private static boolean inUseByMachine(AddressPlan plan) {
    String routes = Commands.runQuietly("ip", "-4", "route", "show", "table", "all").stdout();
    String addresses = Commands.runQuietly("ip", "-4", "-o", "addr", "show").stdout();
    List<String> cidrs = new ArrayList<>();
    for (String line : routes.split("\n")) {
      String[] words = line.strip().split("\\s+");
      // "local 10.1.2.3 dev ..." and "broadcast ..." lines name the address second
      cidrs.add(words.length > 1 && !words[0].matches("[0-9].*") ? words[1] : words[0]);
    }
    for (String line : addresses.split("\n")) {
      String[] words = line.strip().split("\\s+");
      for (int i = 0; i + 1 < words.length; i++) {
        if (words[i].equals("inet")) {
          cidrs.add(words[i + 1]);
        }
      }
    }
    return cidrs.stream().anyMatch(cidr -> overlaps(cidr, plan.blockCidr()));
  }

  /** True when two IPv4 networks share an address; "default" overlaps nothing here on purpose. */
  static boolean overlaps(String a, String b) {
    long[] x = parse(a);
    long[] y = parse(b);
    if (x == null || y == null) {
      return false;
    }
    int prefix = (int) Math.min(x[1], y[1]);
    long mask = prefix == 0 ? 0 : (0xFFFFFFFFL << (32 - prefix)) & 0xFFFFFFFFL;
    // a default route (prefix 0) says nothing about which networks are in use
    return prefix > 0 && (x[0] & mask) == (y[0] & mask);
  }

  private static long[] parse(String cidr) {
    String[] parts = cidr.split("/");
    String[] octets = parts[0].split("\\.");
    if (octets.length != 4) {
      return null;
    }
    try {
      long address = 0;
      for (String octet : octets) {
        address = (address << 8) | Integer.parseInt(octet);
      }
      long length = parts.length > 1 ? Integer.parseInt(parts[1]) : 32;
      return new long[] {address, length};
    } catch (NumberFormatException e) {
      return null;
    }
  }

  public AddressPlan plan() {
    return plan;
  }

  @Override
  public void close() {
    try {
      lock.release();
      channel.close();
    } catch (IOException e) {
      // the lock dies with the process anyway
    }
  }
}
