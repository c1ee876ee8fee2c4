package io.kiam.e2e.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The address kiam-server knows the Kubernetes API by: relays each connection to the API server,
 * and on demand goes down as a lost control plane does (every connection, watches included, is cut;
 * new connections are accepted and never answered) until it is healed.
 */
public final class ApiGate implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ApiGate.class);

  private final ServerSocket server;
  private final InetSocketAddress upstream;
  private final Set<Socket> open = new HashSet<>();
  private boolean down;

  private ApiGate(ServerSocket server, InetSocketAddress upstream) {
    this.server = server;
    this.upstream = upstream;
  }

  /** Listens on host:port (0 for any) and relays to the upstream API server. */
  public static ApiGate start(String host, int port, InetSocketAddress upstream) {
    try {
      ServerSocket server = new ServerSocket();
      server.setReuseAddress(true);
      server.bind(new InetSocketAddress(InetAddress.getByName(host), port));
      ApiGate gate = new ApiGate(server, upstream);
      Thread accept = new Thread(gate::acceptLoop, "api-gate");
      accept.setDaemon(true);
      accept.start();
      return gate;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on " + host + ":" + port, e);
    }
  }

  public int port() {
    return server.getLocalPort();
  }

  public synchronized boolean isDown() {
    return down;
  }

  /** Cuts every connection and holds new ones unanswered; safe to repeat. */
  public synchronized void down() {
    down = true;
    closeAll();
    log.atInfo().log("Kubernetes API down: connections cut, new ones held unanswered");
  }

  /** Lets connections through again; the held ones are closed so their clients retry. */
  public synchronized void heal() {
    down = false;
    closeAll();
    log.atInfo().log("Kubernetes API back");
  }

  private void closeAll() {
    for (Socket socket : open) {
      closeQuietly(socket);
    }
    open.clear();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        boolean relay;
        synchronized (this) {
          open.add(client);
          relay = !down;
        }
        if (relay) {
          Thread connection = new Thread(() -> relay(client), "api-gate-connection");
          connection.setDaemon(true);
          connection.start();
        }
      } catch (IOException e) {
        if (!server.isClosed()) {
          log.atWarn().log("API gate accept failed", e);
        }
      }
    }
  }

  private void relay(Socket client) {
    Socket target = new Socket();
    synchronized (this) {
      open.add(target);
    }
    try {
      target.connect(upstream, 5000);
      Thread back = new Thread(() -> pipe(target, client), "api-gate-back");
      back.setDaemon(true);
      back.start();
      pipe(client, target);
      back.join();
    } catch (IOException e) {
      // cut by down() or by either side: the client sees a closed connection, as from a lost API
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      forget(client);
      forget(target);
    }
  }

  private synchronized void forget(Socket socket) {
    open.remove(socket);
    closeQuietly(socket);
  }

  private static void pipe(Socket from, Socket to) {
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      in.transferTo(out);
      to.shutdownOutput();
    } catch (IOException e) {
      // one side closed: the connection is over
    }
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  @Override
  public synchronized void close() {
    try {
      server.close();
    } catch (IOException e) {
      // closing anyway
    }
    closeAll();
  }
}
