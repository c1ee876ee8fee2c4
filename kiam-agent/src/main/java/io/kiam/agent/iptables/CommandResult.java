package io.kiam.agent.iptables;

/** What a finished command left: its exit code and what it printed. */
public record CommandResult(int exitCode, String stdout, String stderr) {
  /** The first line of stderr, trimmed, for error messages. */
  public String firstErrorLine() {
    String trimmed = stderr.strip();
    int newline = trimmed.indexOf('\n');
    return newline < 0 ? trimmed : trimmed.substring(0, newline).strip();
  }
}
