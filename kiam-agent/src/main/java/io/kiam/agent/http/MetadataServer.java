package io.kiam.agent.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The HTTP listener pods reach (through the DNAT rule) in place of 169.254.169.254:80. */
public final class MetadataServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MetadataServer.class);

  private final Channel listener;

  private MetadataServer(Channel listener) {
    this.listener = listener;
  }

  /**
   * Binds {@code address} on {@code group} (which the caller owns and shuts down); fails with the
   * address when it cannot be bound.
   */
  public static MetadataServer start(
      InetSocketAddress address, EventLoopGroup group, MetadataInitializer initializer) {
    InetSocketAddress bind =
        address.isUnresolved()
            ? new InetSocketAddress(address.getHostString(), address.getPort())
            : address;
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .option(ChannelOption.SO_BACKLOG, 1024)
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(ChannelOption.AUTO_READ, false)
            .childHandler(initializer);
    ChannelFuture bound = bootstrap.bind(bind).awaitUninterruptibly();
    if (!bound.isSuccess()) {
      throw new IllegalStateException(
          "cannot listen on " + bind + ": " + bound.cause().getMessage(), bound.cause());
    }
    MetadataServer server = new MetadataServer(bound.channel());
    log.atInfo()
        .addKeyValue("listen", NetUtil.toSocketAddressString(server.address()))
        .log("metadata server listening");
    return server;
  }

  /** The address actually bound (useful when asked for port 0). */
  public InetSocketAddress address() {
    return (InetSocketAddress) listener.localAddress();
  }

  /** Stops accepting connections; open ones end with the event loop group. */
  @Override
  public void close() {
    listener.close().syncUninterruptibly();
  }
}
