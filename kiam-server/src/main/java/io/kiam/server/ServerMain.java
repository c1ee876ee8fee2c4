package io.kiam.server;

import io.kiam.common.cli.KiamCli;
import io.kiam.common.logging.LogFormat;
import io.kiam.common.logging.Logging;

/**
 * kiam-server's entry point: parses the flags, runs the server until SIGTERM, exits with its code.
 */
public final class ServerMain {
  private ServerMain() {}

  public static void main(String[] args) {
    // Until the flags are read, log as the default flags would: logback's own default is DEBUG,
    // which printed Netty's start-up chatter before the command configured logging.
    Logging.configure(LogFormat.TEXT, "info");
    System.exit(KiamCli.run("kiam-server", new ServerCommand(), args));
  }
}
