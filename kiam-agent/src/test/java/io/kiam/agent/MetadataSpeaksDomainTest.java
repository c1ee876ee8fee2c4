package io.kiam.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The agent's HTTP side speaks our own types: no source of {@code io.kiam.agent.http}, {@code
 * imds}, {@code upstream} or {@code metrics} names gRPC or a generated protobuf class, by import or
 * fully qualified. The client package is where the wire becomes the domain.
 */
class MetadataSpeaksDomainTest {
  private static final Path SOURCES = Path.of("src/main/java/io/kiam/agent");
  private static final List<String> METADATA_PACKAGES =
      List.of("http", "imds", "upstream", "metrics");
  private static final Pattern WIRE =
      Pattern.compile("\\b(io\\.grpc|io\\.kiam\\.proto|com\\.google\\.protobuf)\\.");

  @Test
  void metadataNamesNoGrpcOrProtobufType() throws IOException {
    assertTrue(Files.isDirectory(SOURCES), "run from the kiam-agent module: " + SOURCES);
    List<String> offences = new ArrayList<>();
    List<Path> files;
    files = new ArrayList<>();
    for (String pkg : METADATA_PACKAGES) {
      try (Stream<Path> walk = Files.walk(SOURCES.resolve(pkg))) {
        files.addAll(walk.filter(p -> p.toString().endsWith(".java")).toList());
      }
    }
    assertTrue(files.size() > 10, "found the metadata sources: " + files.size());
    for (Path file : files) {
      List<String> lines = Files.readAllLines(file);
      for (int i = 0; i < lines.size(); i++) {
        Matcher m = WIRE.matcher(lines.get(i));
        if (m.find()) {
          offences.add(file.getFileName() + ":" + (i + 1) + ": " + lines.get(i).strip());
        }
      }
    }
    assertEquals(List.of(), offences);
  }

  @Test
  void theCheckFindsAnImport() {
    assertTrue(WIRE.matcher("import io.grpc.Status;").find());
    assertTrue(WIRE.matcher("io.kiam.proto.v1.PodRef pod;").find());
  }
}
