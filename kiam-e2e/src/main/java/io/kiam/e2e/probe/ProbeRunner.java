package io.kiam.e2e.probe;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Starts the probes inside a network namespace as a pod's process would run: a short-lived JVM with
 * an empty environment (no AWS_* variables, HOME an empty directory, empty AWS config files).
 */
public final class ProbeRunner {
  private static final Duration TIMEOUT = Duration.ofSeconds(40);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path java;
  private final Path harnessJar;
  private final Path emptyHome;
  private final String marker;

  /** The jar holding the probe classes, and a scratch directory for the empty home. */
  public ProbeRunner(Path java, Path harnessJar, Path scratch, String marker) {
    this.java = java;
    this.harnessJar = harnessJar;
    this.marker = marker;
    try {
      this.emptyHome = Files.createDirectories(scratch.resolve("empty-home"));
      Files.writeString(emptyHome.resolve("empty-aws-config"), "");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The SDK probe: default credential chain, then GetCallerIdentity against the STS endpoint. */
  public SdkResult sdk(String netns, String stsEndpoint, String region) {
    String output = runJava(netns, PodProbe.class.getName(), List.of(stsEndpoint, region));
    try {
      return JSON.readValue(lastLine(output), SdkResult.class).withRaw(output);
    } catch (IOException e) {
      return new SdkResult(null, null, null, "unreadable probe output: " + output, output);
    }
  }

  /** Raw HTTP requests to host:port from the namespace; see {@link HttpProbe} for the arguments. */
  public List<HttpResult> http(String netns, String host, int port, List<String> arguments) {
    List<String> args = new ArrayList<>(List.of(host, Integer.toString(port)));
    args.addAll(arguments);
    String output = runJava(netns, HttpProbe.class.getName(), args);
    try {
      return JSON.readValue(lastLine(output), new TypeReference<List<HttpResult>>() {});
    } catch (IOException e) {
      throw new IllegalStateException("unreadable HttpProbe output: " + output, e);
    }
  }

  /** The command line a pod process gets: `ip netns exec NS env -i ... java ...`. */
  public List<String> podCommand(String netns, List<String> command) {
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", netns, "env", "-i"));
    full.add("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    full.add("HOME=" + emptyHome);
    full.addAll(command);
    return full;
  }

  /**
   * Starts {@link LoopProbe} in the namespace and returns it running: its standard output carries
   * one JSON line per round; closing its standard input ends it.
   */
  public Process startLoop(String netns, String host, int port, long pauseMillis) {
    ProcessBuilder builder =
        new ProcessBuilder(
            podCommand(
                netns,
                javaCommand(
                    LoopProbe.class.getName(),
                    List.of(host, Integer.toString(port), Long.toString(pauseMillis)))));
    builder.environment().clear();
    builder.redirectError(ProcessBuilder.Redirect.DISCARD);
    try {
      return builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private List<String> javaCommand(String mainClass, List<String> args) {
    Path emptyConfig = emptyHome.resolve("empty-aws-config");
    List<String> command =
        new ArrayList<>(
            List.of(
                java.toString(),
                marker,
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-Xshare:auto",
                "-Dkiam.e2e.log.level=WARN",
                "-Daws.configFile=" + emptyConfig,
                "-Daws.sharedCredentialsFile=" + emptyConfig,
                "-cp",
                harnessJar.toString(),
                mainClass));
    command.addAll(args);
    return command;
  }

  private String runJava(String netns, String mainClass, List<String> args) {
    List<String> command = javaCommand(mainClass, args);
    ProcessBuilder builder = new ProcessBuilder(podCommand(netns, command));
    builder.environment().clear();
    try {
      Process process = builder.start();
      process.getOutputStream().close();
      CompletableFuture<String> stderr =
          CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
      String stdout = read(process.getInputStream());
      if (!process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException(mainClass + " timed out in " + netns);
      }
      if (stdout.isBlank()) {
        throw new IllegalStateException(
            mainClass + " printed nothing in " + netns + ": " + stderr.join());
      }
      return stdout;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static String lastLine(String output) {
    String[] lines = output.strip().split("\n");
    return lines[lines.length - 1];
  }

  private static String read(java.io.InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
