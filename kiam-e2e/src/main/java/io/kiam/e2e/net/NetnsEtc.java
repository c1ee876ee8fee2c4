package io.kiam.e2e.net;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** The per-namespace files `ip netns exec` mounts over /etc (/etc/netns/NAME/hosts). */
final class NetnsEtc {
  private static final Path ROOT = Path.of("/etc/netns");

  private NetnsEtc() {}

  static void writeHosts(String netns, Map<String, String> hosts) {
    writeHosts(
        netns, hosts.entrySet().stream().map(e -> Map.entry(e.getValue(), e.getKey())).toList());
  }

  /** Writes (address, name) lines; a name listed with several addresses resolves to them all. */
  static void writeHosts(String netns, List<Map.Entry<String, String>> addressNames) {
    StringBuilder text = new StringBuilder("127.0.0.1 localhost\n::1 localhost ip6-localhost\n");
    addressNames.forEach(
        e -> text.append(e.getKey()).append(' ').append(e.getValue()).append('\n'));
    try {
      Path dir = Files.createDirectories(ROOT.resolve(netns));
      Files.writeString(dir.resolve("hosts"), text);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write /etc/netns/" + netns + "/hosts", e);
    }
  }

  static void remove(String netns) {
    deleteTree(ROOT.resolve(netns));
    try {
      Files.deleteIfExists(ROOT); // only when empty: other tools may keep namespaces there
    } catch (IOException e) {
      // not empty: leave it
    }
  }

  static void removeWithPrefix(String prefix) {
    if (!Files.isDirectory(ROOT)) {
      return;
    }
    try (Stream<Path> dirs = Files.list(ROOT)) {
      dirs.filter(d -> d.getFileName().toString().startsWith(prefix))
          .forEach(d -> remove(d.getFileName().toString()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
