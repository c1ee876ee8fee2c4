package io.kiam.agent;

import io.kiam.agent.node.ImdsV1Probe;
import io.kiam.agent.node.ImdsV1Status;
import io.kiam.common.logging.LogFormat;
import io.kiam.common.logging.Logging;
import java.io.PrintWriter;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code kiam-agent check-imds}: whether the node's metadata service still answers IMDSv1, from the
 * host network (a node check for scripts and the boot-window tests): exit 0 when it requires
 * IMDSv2, 1 when it answers without a token, 3 when it did not answer.
 */
@Command(
    name = "check-imds",
    mixinStandardHelpOptions = true,
    description =
        "Check that the node's metadata service refuses IMDSv1: exit 0 if it requires IMDSv2, 1"
            + " if it answers without a token, 3 if it did not answer.")
public final class CheckImdsCommand implements Callable<Integer> {
  static final int OPEN = 1;
  static final int NO_ANSWER = 3;

  @Spec CommandSpec spec;

  @Option(
      names = "--metadata-endpoint",
      defaultValue = AgentConfig.DEFAULT_METADATA_ENDPOINT,
      description = "The node's metadata service (default: ${DEFAULT-VALUE}).")
  URI metadataEndpoint;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      defaultValue = "2s",
      description = "How long to wait for the answer (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Override
  public Integer call() throws InterruptedException {
    if (timeout.isZero() || timeout.isNegative()) {
      throw new IllegalArgumentException("--timeout: must be positive");
    }
    Logging.configure(LogFormat.TEXT, "warn");
    ImdsV1Probe probe = new ImdsV1Probe(metadataEndpoint, timeout);
    ImdsV1Status status = probe.check();
    PrintWriter out = spec.commandLine().getOut();
    out.println(
        switch (status) {
          case REQUIRES_TOKEN -> "IMDSv2 required: " + probe.target() + " refuses IMDSv1 (401)";
          case OPEN -> "IMDSv1 open: " + probe.target() + " answers without a token";
          case UNKNOWN -> "no answer from " + probe.target();
        });
    out.flush();
    return switch (status) {
      case REQUIRES_TOKEN -> 0;
      case OPEN -> OPEN;
      case UNKNOWN -> NO_ANSWER;
    };
  }
}
