package io.kiam.agent.http;

import io.kiam.agent.imds.Reply;
import io.kiam.agent.metrics.AgentMetrics;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.DecoderResultProvider;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;

/**
 * Answers requests the HTTP decoder could not parse (too long a request line: 400, too large
 * headers: 431, anything else malformed: 400) and closes the connection, whose byte stream can no
 * longer be trusted.
 */
final class MalformedRequestHandler extends ChannelInboundHandlerAdapter {
  private final AgentMetrics metrics;
  private final int maxInitialLine;
  private final int maxHeaders;

  MalformedRequestHandler(AgentMetrics metrics, int maxInitialLine, int maxHeaders) {
    this.metrics = metrics;
    this.maxInitialLine = maxInitialLine;
    this.maxHeaders = maxHeaders;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof DecoderResultProvider provider) || provider.decoderResult().isSuccess()) {
      ctx.fireChannelRead(msg);
      return;
    }
    long start = System.nanoTime();
    Reply reply = replyFor(provider.decoderResult());
    ReferenceCountUtil.release(msg);
    HttpReplies.write(ctx, HttpVersion.HTTP_1_1, false, reply)
        .addListener(ChannelFutureListener.CLOSE);
    long nanos = System.nanoTime() - start;
    metrics.answered("malformed", reply.status().code(), nanos);
    AccessLog.write(
        new AccessLog.Entry(MetadataHandler.callerText(ctx.channel()), "-", "-", "malformed"),
        reply,
        nanos);
  }

  private Reply replyFor(DecoderResult result) {
    Throwable cause = result.cause();
    if (cause instanceof TooLongHttpHeaderException) {
      return Reply.error(
          HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
          "request headers larger than " + maxHeaders + " bytes");
    }
    if (cause instanceof TooLongHttpLineException) {
      return Reply.error(
          HttpResponseStatus.BAD_REQUEST, "request line longer than " + maxInitialLine + " bytes");
    }
    return Reply.error(HttpResponseStatus.BAD_REQUEST, "malformed HTTP request");
  }
}
