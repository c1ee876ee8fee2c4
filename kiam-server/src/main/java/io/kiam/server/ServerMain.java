package io.kiam.server;

import io.kiam.common.cli.KiamCli;

/**
 * kiam-server's entry point: parses the flags, runs the server until SIGTERM, exits with its code.
 */
public final class ServerMain {
  private ServerMain() {}

  public static void main(String[] args) {
    System.exit(KiamCli.run("kiam-server", new ServerCommand(), args));
  }
}
