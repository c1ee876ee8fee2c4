package io.kiam.agent.http;

import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * An {@link EmbeddedChannel} whose peer is a chosen TCP address, as a pod's connection would be:
 * registration waits until the address is set, so handlers never see Netty's placeholder. Its clock
 * stands still until {@link #advanceTimeBy} moves it.
 */
final class CallerChannel extends EmbeddedChannel {
  private final InetSocketAddress caller;

  CallerChannel(InetSocketAddress caller, ChannelHandler initializer) {
    super(EmbeddedChannel.builder().register(false).handlers(initializer));
    this.caller = caller;
    try {
      register();
      // Time moves only when a test says so: deadlines are checked to the millisecond.
      freezeTime();
    } catch (Exception e) {
      throw new IllegalStateException("cannot register the embedded channel", e);
    }
  }

  @Override
  protected SocketAddress remoteAddress0() {
    return caller;
  }
}
