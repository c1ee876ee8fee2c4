package io.kiam.agent.http;

import io.kiam.agent.imds.Reply;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.util.Map;

/** Turns a {@link Reply} into HTTP bytes on a connection; shared by the handlers that answer. */
final class HttpReplies {
  private static final HttpHeadersFactory UNCHECKED =
      DefaultHttpHeadersFactory.headersFactory().withValidation(false);

  private HttpReplies() {}

  static ChannelFuture write(
      ChannelHandlerContext ctx, HttpVersion version, boolean keepAlive, Reply reply) {
    // Our own constant header names and values need no validation per response; headers a reply
    // adds (some carry values from elsewhere) are still checked.
    boolean ours = reply.headers().isEmpty();
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            version,
            reply.status(),
            Unpooled.wrappedBuffer(reply.body()),
            ours ? UNCHECKED : DefaultHttpHeadersFactory.headersFactory(),
            DefaultHttpHeadersFactory.trailersFactory());
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, reply.contentType());
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, reply.body().length);
    for (Map.Entry<String, String> header : reply.headers().entrySet()) {
      response.headers().set(header.getKey(), header.getValue());
    }
    // Also says "keep-alive" explicitly to HTTP/1.0 clients that asked for it.
    HttpUtil.setKeepAlive(response, keepAlive);
    return ctx.writeAndFlush(response);
  }
}
