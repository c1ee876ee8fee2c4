package io.kiam.server.explain;

import io.kiam.common.cli.KiamCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** One run of the explain command line, its exit code and what it printed. */
record Run(int exitCode, String out, String err) {
  static Run of(ExplainCommand command, String... args) {
    CommandLine cli = KiamCli.commandLine("kiam-server explain", command);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Override
  public String toString() {
    return "exit " + exitCode + "\n--- out\n" + out + "--- err\n" + err;
  }
}
