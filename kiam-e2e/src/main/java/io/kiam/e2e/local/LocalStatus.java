package io.kiam.e2e.local;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

/**
 * What `./kiam-local status --json` prints: the node's endpoints, its pods (those of the config and
 * those added since), its servers and agent as they are now, the local STS's calls and the faults
 * in force.
 */
public record LocalStatus(
    String stsEndpoint,
    String region,
    String kubeconfig,
    String nodeAccessKeyId,
    String nodeIp,
    long supervisorPid,
    String logs,
    List<Pod> pods,
    List<Server> servers,
    Agent agent,
    Sts sts,
    Faults faults,
    List<KeptNetns> keptNetns) {

  /**
   * One pod: its name, namespace, IP, network namespace (null with --no-netns) and role annotation
   * (null when none).
   */
  public record Pod(String name, String namespace, String ip, String netns, String role) {}

  /** One kiam-server: pid null while killed; state running, stopped, blackholed or killed. */
  public record Server(String name, Long pid, String address, String state) {}

  /** The agent: pid and resident memory null while it is killed. */
  public record Agent(Long pid, Long rssKiB) {}

  /** The local STS's AssumeRole calls: in total, per role ARN, and the ARNs that signed them. */
  public record Sts(int calls, Map<String, Integer> callsByRole, List<String> callers) {}

  /** The faults in force: the API's state (up or down) and the STS's faults (none: empty). */
  public record Faults(String api, List<String> sts) {}

  /** A network namespace a deleted pod left behind (--keep-netns), holding its IP. */
  public record KeptNetns(String netns, String ip) {}

  String toJson() {
    try {
      return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(this)
          + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the status", e);
    }
  }

  /** Writes the file atomically: the script treats its existence as "ready". */
  void write(Path file) {
    try {
      Path temp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(temp, toJson());
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
