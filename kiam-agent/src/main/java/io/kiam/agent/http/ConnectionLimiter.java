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
 *
 * <p>A source past its own limit has its new connection closed at once: the connections it already
 * holds stay, so a pod that keeps a pool of live keep-alive connections never has one cut under a
 * request it is about to send (the client would see a reset on a connection it trusted). The pod
 * that opened one connection too many is the one that sees the refusal, at connect time, which SDKs
 * retry. A flood from one source thus ends at its own share.
 *
 * <p>When all sources together would pass the total, the connection idle longest anywhere is closed
 * to make room (an idle keep-alive connection is the cheapest to lose; SDKs reconnect), so a new
 * pod is still served while floods from many sources fill the table; when every connection is busy,
 * the new one is closed instead.
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
        forget(tracked);
        refused = true;
      } else if (all.size() > limits.total()) {
        victim = longestIdle(all, tracked);
        if (victim != null) {
          forget(victim);
        } else {
          forget(tracked);
          refused = true;
        }
      }
    }
    if (refused) {
      log.atDebug()
          .addKeyValue("pod.ip", MetadataHandler.callerText(tracked.channel))
          .log("connection refused: connection limit reached");
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
