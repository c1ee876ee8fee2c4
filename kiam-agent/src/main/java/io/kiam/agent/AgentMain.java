package io.kiam.agent;

import io.kiam.common.cli.KiamCli;

/** Entry point of {@code java -jar kiam-agent.jar}. */
public final class AgentMain {
  private AgentMain() {}

  public static void main(String[] args) {
    System.exit(KiamCli.run("kiam-agent", new AgentCommand(), args));
  }
}
