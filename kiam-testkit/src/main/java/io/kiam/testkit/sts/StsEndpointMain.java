package io.kiam.testkit.sts;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * Runs the STS endpoint on its own (e.g. inside a network namespace for the local mode) and prints
 * the URL it listens on as the only line on stdout.
 */
@Command(
    name = StsEndpointMain.NAME,
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "An AWS STS endpoint for tests: AssumeRole and GetCallerIdentity over the query protocol,"
          + " SigV4-checked. Prints its URL on stdout; logs go to stderr."
    })
public final class StsEndpointMain {
  static final String NAME = "kiam-sts-endpoint";

  @Option(
      names = "--bind",
      defaultValue = "127.0.0.1",
      description = "Address to listen on (default ${DEFAULT-VALUE}).")
  InetAddress bind;

  @Option(
      names = "--port",
      defaultValue = "0",
      description = "Port to listen on; 0 picks a free one (default ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--account",
      defaultValue = StsEndpoint.DEFAULT_ACCOUNT,
      description = "Account of the roles named without an ARN (default ${DEFAULT-VALUE}).")
  String account;

  @Option(
      names = {"--access-key-id", "--base-access-key"},
      defaultValue = StsEndpoint.DEFAULT_ACCESS_KEY_ID,
      description =
          "Access key id of the base credentials callers sign with (default ${DEFAULT-VALUE}).")
  String accessKeyId;

  @Option(
      names = {"--secret-access-key", "--base-secret-key"},
      defaultValue = StsEndpoint.DEFAULT_SECRET_ACCESS_KEY,
      description =
          "Secret access key of the base credentials (default: AWS's documented example key).",
      showDefaultValue = CommandLine.Help.Visibility.NEVER)
  String secretAccessKey;

  @Option(
      names = "--session-token",
      description = "Session token the base credentials must carry (default: none).")
  String sessionToken;

  @Option(
      names = "--caller-arn",
      description =
          "ARN GetCallerIdentity reports for the base credentials (default arn:aws:iam::ACCOUNT:user/kiam-test).")
  String callerArn;

  @Option(
      names = "--role",
      paramLabel = "NAME_OR_ARN[:EXTERNAL_ID]",
      description = "A role that exists (repeatable).")
  List<RoleSpec> roles = new ArrayList<>();

  @Option(
      names = "--roles-file",
      paramLabel = "FILE",
      description =
          "Roles, one a line: NAME_OR_ARN [externalId=ID] [maxSessionDuration=SECONDS] [principal=ARN]...")
  Path rolesFile;

  /** The outcome of parsing flags and starting: a running endpoint, or an exit code. */
  record Launch(int exitCode, StsEndpoint endpoint) {}

  public static void main(String[] args) {
    logToStderr();
    Launch launch =
        launch(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
    if (launch.endpoint() == null) {
      System.exit(launch.exitCode());
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  launch.endpoint().close();
                  stopped.countDown();
                },
                "sts-endpoint-shutdown"));
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Parses the flags and starts the endpoint, printing its URL to {@code out}. */
  static Launch launch(String[] args, PrintWriter out, PrintWriter err) {
    StsEndpointMain options = new StsEndpointMain();
    CommandLine cli = new CommandLine(options);
    cli.registerConverter(RoleSpec.class, RoleSpec::parse);
    try {
      cli.parseArgs(args);
      if (cli.isUsageHelpRequested() || cli.isVersionHelpRequested()) {
        cli.usage(out);
        return new Launch(0, null);
      }
      StsEndpoint endpoint = options.builder().start();
      out.println(endpoint.uri());
      out.flush();
      return new Launch(0, endpoint);
    } catch (ParameterException | IllegalArgumentException e) {
      err.println(NAME + ": " + e.getMessage());
      err.flush();
      return new Launch(2, null);
    } catch (IOException e) {
      err.println(NAME + ": cannot read roles file: " + e);
      err.flush();
      return new Launch(2, null);
    } catch (UncheckedIOException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      err.println(NAME + ": " + e.getMessage() + ": " + cause.getMessage());
      err.flush();
      return new Launch(1, null);
    }
  }

  private StsEndpoint.Builder builder() throws IOException {
    StsEndpoint.Builder builder =
        StsEndpoint.builder().account(account).bind(bind).port(port).roles(roles);
    String arn = callerArn != null ? callerArn : "arn:aws:iam::" + account + ":user/kiam-test";
    builder.baseCredentials(new BaseCredentials(accessKeyId, secretAccessKey, sessionToken, arn));
    if (rolesFile != null) {
      builder.roles(RolesFile.read(rolesFile));
    }
    return builder;
  }

  /** Keeps stdout for the URL line alone. */
  private static void logToStderr() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.reset();
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern("%d{HH:mm:ss.SSS} %-5level %logger{0} - %msg %kvp%n");
    encoder.start();
    ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
    appender.setContext(context);
    appender.setTarget("System.err");
    appender.setEncoder(encoder);
    appender.start();
    ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.INFO);
    root.addAppender(appender);
  }
}
