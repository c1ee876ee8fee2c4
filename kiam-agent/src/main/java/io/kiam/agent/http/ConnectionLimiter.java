package io.kiam.agent.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds the agent's pod connections within {@link ConnectionLimits}, shared by every connection.
 * When a new connection would pass a limit, the connection idle longest under that limit (from the
 * same source for the per-source limit) is closed to make room; SDKs reconnect when they need to.
 * When every such connection is in the middle of a request, the new one is closed instead, so a pod
 * opening connections without end only ever competes with itself.
 */
public final class ConnectionLimiter {
  private static final Logger log = LoggerFactory.getLogger(ConnectionLimiter.class);

  private final ConnectionLimits limits;
  private final Map<InetAddress, List<Tracked>> bySource = new HashMap<>();
  private final List<Tracked> all = new ArrayList<>();

  public ConnectionLimiter(ConnectionLimits limits) {
    this.limits = limits;
  }

  /** A handler for one new connection; it must be first in the pipeline to see every byte. */
  ChannelDuplexHandler handler() {
    return new Handler();
  }

  /** How many connections are open in all (for tests and logs). */
  public synchronized int open() {
    return all.size();
  }

  /** Admits {@code tracked}, or returns why not; closes (outside the lock) the one it displaces. */
  private void admit(Tracked tracked) {
    Tracked victim;
    boolean refused = false;
    synchronized (this) {
      List<Tracked> mine = bySource.computeIfAbsent(tracked.source, s -> new ArrayList<>());
      mine.add(tracked);
      all.add(tracked);
      victim = null;
      if (mine.size() > limits.perSource()) {
        victim = longestIdle(mine, tracked);
      } else if (all.size() > limits.total()) {
        victim = longestIdle(all, tracked);
      }
      boolean over = mine.size() > limits.perSource() || all.size() > limits.total();
      if (victim != null) {
        forget(victim);
      } else if (over) {
        forget(tracked);
        refused = true;
      }
    }
    if (refused) {
      log.atDebug()
          .addKeyValue("pod.ip", MetadataHandler.callerText(tracked.channel))
          .log("connection refused: limit reached and every connection is busy");
      tracked.channel.close();
    } else if (victim != null) {
      log.atDebug()
          .addKeyValue("pod.ip", MetadataHandler.callerText(victim.channel))
          .log("closing the longest idle connection to make room");
      victim.channel.close();
    }
  }

  private static Tracked longestIdle(List<Tracked> candidates, Tracked except) {
    Tracked best = null;
    for (Tracked t : candidates) {
      if (t != except && !t.busy && (best == null || t.idleSinceNanos < best.idleSinceNanos)) {
        best = t;
      }
    }
    return best;
  }

  private synchronized void forget(Tracked tracked) {
    if (!tracked.counted) {
      return;
    }
    tracked.counted = false;
    all.remove(tracked);
    List<Tracked> mine = bySource.get(tracked.source);
    if (mine != null) {
      mine.remove(tracked);
      if (mine.isEmpty()) {
        bySource.remove(tracked.source);
      }
    }
  }

  /** One open connection; busy from a request's first byte until its answer goes out. */
  private static final class Tracked {
    final Channel channel;
    final InetAddress source;
    volatile boolean busy;
    volatile long idleSinceNanos = System.nanoTime();
    boolean counted = true;

    Tracked(Channel channel, InetAddress source) {
      this.channel = channel;
      this.source = source;
    }
  }

  private final class Handler extends ChannelDuplexHandler {
    private Tracked tracked;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      Channel channel = ctx.channel();
      if (channel.remoteAddress() instanceof InetSocketAddress remote) {
        tracked = new Tracked(channel, remote.getAddress());
        admit(tracked);
      }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (tracked != null) {
        tracked.busy = true;
      }
      ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      if (tracked != null) {
        tracked.busy = false;
        tracked.idleSinceNanos = System.nanoTime();
      }
      ctx.write(msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      release();
      ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
      release();
    }

    private void release() {
      if (tracked != null) {
        forget(tracked);
      }
    }
  }
}
