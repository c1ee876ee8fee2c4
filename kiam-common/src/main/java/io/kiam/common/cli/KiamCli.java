package io.kiam.common.cli;

import java.io.PrintWriter;
import picocli.CommandLine;

/**
 * Runs a daemon's picocli command the same way for both daemons: a bad flag or value ends the
 * process at once with one clear line on stderr (exit 2); a failure at start is one line too (exit
 * 1).
 */
public final class KiamCli {
  /** Exit code for a bad command line. */
  public static final int USAGE = 2;

  private KiamCli() {}

  /** Builds the command line with the shared converters and error handling. */
  public static CommandLine commandLine(String programName, Object command) {
    CommandLine cli = new CommandLine(command);
    cli.setCommandName(programName);
    cli.registerConverter(java.time.Duration.class, new DurationConverter());
    cli.registerConverter(java.net.InetSocketAddress.class, new HostPortConverter());
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.setParameterExceptionHandler(
        (ex, args) -> {
          PrintWriter err = ex.getCommandLine().getErr();
          err.println(programName + ": " + oneLine(ex.getMessage()));
          err.flush();
          return USAGE;
        });
    cli.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          PrintWriter err = commandLine.getErr();
          if (ex instanceof IllegalArgumentException) {
            // Validation in the config records' constructors: the flag's fault, not a crash.
            err.println(programName + ": " + oneLine(ex.getMessage()));
            err.flush();
            return USAGE;
          }
          err.println(programName + ": " + oneLine(String.valueOf(ex.getMessage())));
          err.flush();
          return 1;
        });
    return cli;
  }

  /** Executes the command and returns its exit code (main passes it to System.exit). */
  public static int run(String programName, Object command, String[] args) {
    return commandLine(programName, command).execute(args);
  }

  private static String oneLine(String message) {
    if (message == null) {
      return "invalid arguments";
    }
    return message.replace('\n', ' ').replace('\r', ' ').trim();
  }
}
