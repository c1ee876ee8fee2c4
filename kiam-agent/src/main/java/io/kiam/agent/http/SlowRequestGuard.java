package io.kiam.agent.http;

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
 * caller trickling a request a byte at a time cannot hold a connection open forever. The clock
 * starts at a request's first bytes and stops when a response goes out.
 *
 * <p>One timer serves many requests: when it fires it checks the request in progress, if any, and
 * sets itself for that request's limit, so a busy keep-alive connection does not schedule and
 * cancel a timer per request.
 */
final class SlowRequestGuard extends ChannelDuplexHandler {
  private static final Logger log = LoggerFactory.getLogger(SlowRequestGuard.class);
  private static final long IDLE = -1;

  private final long timeoutNanos;
  private long requestStartNanos = IDLE;
  private ScheduledFuture<?> timer;

  SlowRequestGuard(Duration timeout) {
    this.timeoutNanos = timeout.toNanos();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (requestStartNanos == IDLE) {
      requestStartNanos = ctx.executor().ticker().nanoTime();
      if (timer == null) {
        arm(ctx, timeoutNanos);
      }
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    requestStartNanos = IDLE;
    ctx.write(msg, promise);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    cancel();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    cancel();
  }

  private void arm(ChannelHandlerContext ctx, long delayNanos) {
    timer = ctx.executor().schedule(() -> check(ctx), delayNanos, TimeUnit.NANOSECONDS);
  }

  private void check(ChannelHandlerContext ctx) {
    timer = null;
    if (requestStartNanos == IDLE || !ctx.channel().isActive()) {
      return;
    }
    long left = requestStartNanos + timeoutNanos - ctx.executor().ticker().nanoTime();
    if (left > 0) {
      arm(ctx, left);
      return;
    }
    log.atInfo()
        .addKeyValue("pod.ip", MetadataHandler.callerText(ctx.channel()))
        .log("closing connection: request not complete within {}ms", timeoutNanos / 1_000_000);
    ctx.close();
  }

  private void cancel() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }
}
