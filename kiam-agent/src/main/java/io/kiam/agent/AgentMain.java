package io.kiam.agent;

import io.kiam.common.cli.KiamCli;
import io.kiam.common.logging.LogFormat;
import io.kiam.common.logging.Logging;

/** Entry point of {@code java -jar kiam-agent.jar}. */
public final class AgentMain {
  private AgentMain() {}

  public static void main(String[] args) {
    // Until the flags are read, log as the default flags would: logback's own default is DEBUG,
    // which printed Netty's start-up chatter before the command configured logging.
    Logging.configure(LogFormat.TEXT, "info");
    System.exit(KiamCli.run("kiam-agent", new AgentCommand(), args));
  }
}
