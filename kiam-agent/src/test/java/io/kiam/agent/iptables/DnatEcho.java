package io.kiam.agent.iptables;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A one-connection TCP listener started inside the test's "node" namespace: it prints "listening",
 * then tells its one caller which source address it saw, and exits.
 */
public final class DnatEcho {
  private DnatEcho() {}

  public static void main(String[] args) throws Exception {
    try (ServerSocket server = new ServerSocket()) {
      server.setSoTimeout(20_000);
      server.bind(new InetSocketAddress(InetAddress.getByName(args[0]), Integer.parseInt(args[1])));
      System.out.println("listening");
      System.out.flush();
      try (Socket caller = server.accept()) {
        OutputStream out = caller.getOutputStream();
        String peer = caller.getInetAddress().getHostAddress();
        out.write(("kiam-dnat-ok from " + peer + "\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
      }
    }
  }
}
