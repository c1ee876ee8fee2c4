package io.kiam.agent.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP relay in front of a real server that can go silent: once {@link #silence()} is called it
 * keeps every connection open and reads every byte, but forwards nothing either way, as a server
 * behind a dropped route does (no reset, no answer). It counts the bytes it swallows, so a test can
 * wait for a request to have reached it.
 */
final class BlackholeRelay implements AutoCloseable {
  private final ServerSocket listener;
  private final InetSocketAddress upstream;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final AtomicLong swallowed = new AtomicLong();
  private volatile boolean silent;

  BlackholeRelay(InetSocketAddress listen, InetSocketAddress upstream) throws IOException {
    this.upstream = upstream;
    this.listener = new ServerSocket();
    listener.bind(listen);
    Thread accept = new Thread(this::accept, "blackhole-accept");
    accept.setDaemon(true);
    accept.start();
  }

  /** From now on nothing passes, in either direction, on old or new connections. */
  void silence() {
    silent = true;
  }

  /** Bytes the client sent that were dropped since {@link #silence()}. */
  long swallowed() {
    return swallowed.get();
  }

  private void accept() {
    while (!listener.isClosed()) {
      try {
        Socket client = listener.accept();
        Socket server = new Socket();
        server.connect(upstream);
        sockets.add(client);
        sockets.add(server);
        pump(client, server, true);
        pump(server, client, false);
      } catch (IOException e) {
        // Closed, or the upstream refused: the client sees its connection end.
      }
    }
  }

  private void pump(Socket from, Socket to, boolean fromClient) {
    Thread t =
        new Thread(
            () -> {
              byte[] buffer = new byte[16384];
              try (InputStream in = from.getInputStream()) {
                OutputStream out = to.getOutputStream();
                int n;
                while ((n = in.read(buffer)) >= 0) {
                  if (silent) {
                    if (fromClient) {
                      swallowed.addAndGet(n);
                    }
                  } else {
                    out.write(buffer, 0, n);
                    out.flush();
                  }
                }
              } catch (IOException e) {
                // A side closed: the relay ends with it.
              }
            },
            "blackhole-pump");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() throws IOException {
    listener.close();
    for (Socket s : sockets) {
      s.close();
    }
  }
}
