package io.kiam.e2e.node;

import io.kiam.e2e.net.RunNames;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Function;

/**
 * How to build one node: the run's names, where its files go, the jars to run, and how to get the
 * STS endpoint (a function of the machine-side address it may bind to).
 *
 * @param block the address block to use, or null for any free one
 */
public record NodeOptions(
    RunNames names,
    Integer block,
    Path workDir,
    Path java,
    Path serverJar,
    Path agentJar,
    Path harnessJar,
    Function<String, StsHandle> sts) {

  public NodeOptions {
    Objects.requireNonNull(names, "names");
    Objects.requireNonNull(workDir, "workDir");
    Objects.requireNonNull(sts, "sts");
    requireFile("java", java);
    requireFile("kiam-server jar (build it: mvn -B -q -DskipTests package)", serverJar);
    requireFile("kiam-agent jar (build it: mvn -B -q -DskipTests package)", agentJar);
    requireFile("kiam-e2e-all jar (build it: mvn -B -q -DskipTests package)", harnessJar);
  }

  private static void requireFile(String what, Path path) {
    if (path == null || !Files.isRegularFile(path)) {
      throw new IllegalArgumentException(what + ": no such file " + path);
    }
  }
}
