package io.kiam.agent.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Closes keep-alive connections nobody has used for a while; SDKs reconnect when they need to. */
final class IdleConnectionCloser extends IdleStateHandler {
  IdleConnectionCloser(Duration idle) {
    super(0, 0, idle.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent evt) {
    ctx.close();
  }
}
