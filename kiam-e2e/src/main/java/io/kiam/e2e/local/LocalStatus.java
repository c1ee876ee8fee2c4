package io.kiam.e2e.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.kiam.e2e.metadata.NodeIdentity;
import io.kiam.e2e.node.KiamNode;
import io.kiam.e2e.node.NodePod;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/** What `./kiam-local status --json` prints, written once the node is ready. */
public record LocalStatus(
    String stsEndpoint,
    String region,
    String kubeconfig,
    String nodeAccessKeyId,
    String nodeIp,
    long supervisorPid,
    String logs,
    List<Pod> pods) {

  /** One pod: its name, namespace, IP, network namespace and role annotation (null when none). */
  public record Pod(String name, String namespace, String ip, String netns, String role) {}

  static LocalStatus of(KiamNode node, Path logs) {
    List<Pod> pods =
        node.pods().stream()
            .map(
                (NodePod p) -> new Pod(p.name(), p.namespace(), p.ip(), p.netns(), p.spec().role()))
            .toList();
    return new LocalStatus(
        node.sts().url(),
        node.sts().region(),
        node.kubeconfig().toAbsolutePath().toString(),
        NodeIdentity.ACCESS_KEY_ID,
        node.nodeAddress(),
        ProcessHandle.current().pid(),
        logs.toAbsolutePath().toString(),
        pods);
  }

  /** Writes the file atomically: the script treats its existence as "ready". */
  void write(Path file) {
    try {
      Path temp = file.resolveSibling(file.getFileName() + ".tmp");
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(temp.toFile(), this);
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
