package io.kiam.agent.metadata;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a connection whose request has not been answered within a bound of its first byte, so a
 * caller trickling a request a byte at a time cannot hold a connection open forever. Armed by the
 * first bytes of a request, disarmed when a response goes out.
 */
final class SlowRequestGuard extends ChannelDuplexHandler {
  private static final Logger log = LoggerFactory.getLogger(SlowRequestGuard.class);

  private final long timeoutNanos;
  private ScheduledFuture<?> timer;

  SlowRequestGuard(Duration timeout) {
    this.timeoutNanos = timeout.toNanos();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (timer == null) {
      timer = ctx.executor().schedule(() -> expire(ctx), timeoutNanos, TimeUnit.NANOSECONDS);
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    disarm();
    ctx.write(msg, promise);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    disarm();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    disarm();
  }

  private void expire(ChannelHandlerContext ctx) {
    timer = null;
    log.atInfo()
        .addKeyValue("pod.ip", MetadataHandler.callerText(ctx.channel()))
        .log("closing connection: request not complete within {}ms", timeoutNanos / 1_000_000);
    ctx.close();
  }

  private void disarm() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }
}
