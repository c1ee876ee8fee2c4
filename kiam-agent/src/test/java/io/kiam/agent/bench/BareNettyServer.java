package io.kiam.agent.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/** The floor: Netty HTTP/1.1 answering every request with fixed bytes, on the same threads. */
final class BareNettyServer implements AutoCloseable {
  private final EventLoopGroup group;
  private final Channel listener;

  BareNettyServer(byte[] body, int threads) {
    group = new MultiThreadIoEventLoopGroup(threads, NioIoHandler.newFactory());
    ByteBuf shared = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(body));
    listener =
        new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .option(ChannelOption.SO_BACKLOG, 1024)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline()
                        .addLast(new HttpServerCodec())
                        .addLast(new HttpServerKeepAliveHandler())
                        .addLast(new HttpObjectAggregator(8192))
                        .addLast(
                            new SimpleChannelInboundHandler<FullHttpRequest>() {
                              @Override
                              protected void channelRead0(
                                  ChannelHandlerContext ctx, FullHttpRequest request) {
                                FullHttpResponse response =
                                    new DefaultFullHttpResponse(
                                        request.protocolVersion(),
                                        HttpResponseStatus.OK,
                                        shared.duplicate());
                                response
                                    .headers()
                                    .set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
                                HttpUtil.setKeepAlive(response, HttpUtil.isKeepAlive(request));
                                ctx.writeAndFlush(response);
                              }

                              @Override
                              public void exceptionCaught(
                                  ChannelHandlerContext ctx, Throwable cause) {
                                // wrk resets its connections when it stops: not news.
                                ctx.close();
                              }
                            });
                  }
                })
            .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .syncUninterruptibly()
            .channel();
  }

  int port() {
    return ((InetSocketAddress) listener.localAddress()).getPort();
  }

  @Override
  public void close() {
    listener.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
  }
}
