package io.kiam.e2e.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relays TCP connections from the machine's uplink address to an endpoint the machine reaches (real
 * STS): the pods have no route out, and TLS passes through untouched, end to end.
 */
public final class TcpRelay implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TcpRelay.class);
  private static final int CONNECT_TIMEOUT_MILLIS = 5000;

  private final ServerSocket server;
  private final String upstreamHost;
  private final int upstreamPort;

  private TcpRelay(ServerSocket server, String upstreamHost, int upstreamPort) {
    this.server = server;
    this.upstreamHost = upstreamHost;
    this.upstreamPort = upstreamPort;
  }

  /** Listens on bindHost:port and relays each connection to upstreamHost:upstreamPort. */
  public static TcpRelay start(String bindHost, int port, String upstreamHost, int upstreamPort) {
    try {
      ServerSocket server = new ServerSocket();
      server.setReuseAddress(true);
      server.bind(new InetSocketAddress(InetAddress.getByName(bindHost), port));
      TcpRelay relay = new TcpRelay(server, upstreamHost, upstreamPort);
      Thread accept = new Thread(relay::acceptLoop, "relay-" + upstreamHost);
      accept.setDaemon(true);
      accept.start();
      log.atInfo()
          .addKeyValue("relay.listen", bindHost + ":" + port)
          .addKeyValue("relay.upstream", upstreamHost + ":" + upstreamPort)
          .log("relaying the pods' STS connections");
      return relay;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on " + bindHost + ":" + port, e);
    }
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        Thread connection = new Thread(() -> relay(client), "relay-connection");
        connection.setDaemon(true);
        connection.start();
      } catch (IOException e) {
        if (!server.isClosed()) {
          log.atWarn().log("relay accept failed", e);
        }
      }
    }
  }

  private void relay(Socket client) {
    try (client;
        Socket upstream = new Socket()) {
      upstream.connect(new InetSocketAddress(upstreamHost, upstreamPort), CONNECT_TIMEOUT_MILLIS);
      Thread back = new Thread(() -> pipe(upstream, client), "relay-back");
      back.setDaemon(true);
      back.start();
      pipe(client, upstream);
      back.join();
    } catch (IOException e) {
      log.atWarn()
          .addKeyValue("relay.upstream", upstreamHost)
          .log("relay connection failed: {}", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Copies until the source closes, then half-closes the destination so the other side ends. */
  private static void pipe(Socket from, Socket to) {
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      in.transferTo(out);
      to.shutdownOutput();
    } catch (IOException e) {
      // the other direction closed the sockets: the connection is over
    }
  }

  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException e) {
      // closing: nothing to do
    }
  }
}
