package io.kiam.agent.http;

import io.kiam.agent.imds.BadPathException;
import io.kiam.agent.imds.MetadataServices;
import io.kiam.agent.imds.NormalizedPath;
import io.kiam.agent.imds.PathNormalizer;
import io.kiam.agent.imds.Reply;
import io.kiam.agent.imds.Responder;
import io.kiam.agent.imds.Route;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves one connection's requests one at a time (the pipeline's flow control hands over the next
 * only after this one is answered): identifies the caller by its TCP source address alone,
 * normalises and routes the path, and answers within the request deadline.
 */
final class MetadataHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final Logger log = LoggerFactory.getLogger(MetadataHandler.class);

  private final MetadataServices services;
  private final Responder responder;
  private InFlight current;
  // The caller of this connection, worked out once: it cannot change while the connection lives.
  private InetAddress caller;
  private String callerIp;

  MetadataHandler(MetadataServices services, Responder responder) {
    this.services = services;
    this.responder = responder;
  }

  /** The caller's IP as text, for logs, whatever kind of channel this is. */
  static String callerText(Channel channel) {
    InetAddress caller = caller(channel);
    return caller == null
        ? String.valueOf(channel.remoteAddress())
        : NetUtil.toAddressString(caller);
  }

  private static InetAddress caller(Channel channel) {
    return channel.remoteAddress() instanceof InetSocketAddress address
        ? address.getAddress()
        : null;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    ctx.fireChannelActive();
    ctx.read();
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    long start = System.nanoTime();
    if (callerIp == null) {
      caller = caller(ctx.channel());
      callerIp = callerText(ctx.channel());
    }
    String ip = callerIp;
    String method = request.method().name();
    InFlight flight =
        new InFlight(ctx, request.protocolVersion(), HttpUtil.isKeepAlive(request), start);
    current = flight;
    if (caller == null) {
      flight.entry = new AccessLog.Entry(ip, method, "-", "unknown_caller");
      answer(flight, Reply.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "caller has no IP"));
      return;
    }
    NormalizedPath path;
    try {
      path = PathNormalizer.normalize(request.uri());
    } catch (BadPathException e) {
      flight.entry = new AccessLog.Entry(ip, method, "-", "bad_path");
      answer(flight, Reply.error(HttpResponseStatus.BAD_REQUEST, e.getMessage()));
      return;
    }
    Route route = services.router().route(path);
    flight.entry = new AccessLog.Entry(ip, method, path.toString(), route.name());
    if (!request.method().equals(route.method())) {
      answer(
          flight,
          Reply.error(
                  HttpResponseStatus.METHOD_NOT_ALLOWED,
                  method + " not allowed here; use " + route.method().name())
              .withHeader(HttpHeaderNames.ALLOW.toString(), route.method().name()));
      return;
    }
    CompletableFuture<Reply> reply = responder.answer(route, caller, ip, request.headers());
    if (reply.isDone()) {
      reply.whenComplete((r, failure) -> complete(flight, r, failure));
      return;
    }
    flight.deadline =
        ctx.executor()
            .schedule(
                () -> answer(flight, timedOut(route)),
                services.requestTimeout().toNanos(),
                TimeUnit.NANOSECONDS);
    reply.whenCompleteAsync((r, failure) -> complete(flight, r, failure), ctx.executor());
  }

  private Reply timedOut(Route route) {
    String within = " within " + services.requestTimeout().toMillis() + "ms";
    if (route instanceof Route.Proxy) {
      return Reply.error(
          HttpResponseStatus.GATEWAY_TIMEOUT, "metadata endpoint did not answer" + within);
    }
    return Reply.error(
        HttpResponseStatus.SERVICE_UNAVAILABLE, "no kiam-server reachable: no answer" + within);
  }

  private void complete(InFlight flight, Reply reply, Throwable failure) {
    if (failure != null) {
      log.atError().setCause(failure).log("request failed inside the agent");
      reply = Reply.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "kiam-agent internal error");
    }
    answer(flight, reply);
  }

  /**
   * Sends the first answer for {@code flight}; a late second one (after the deadline) is dropped.
   */
  private void answer(InFlight flight, Reply reply) {
    if (current != flight) {
      return;
    }
    current = null;
    if (flight.deadline != null) {
      flight.deadline.cancel(false);
    }
    long nanos = System.nanoTime() - flight.start;
    services.metrics().answered(flight.entry.route(), reply.status().code(), nanos);
    AccessLog.write(flight.entry, reply, nanos);
    ChannelHandlerContext ctx = flight.ctx;
    if (ctx.channel().isActive()) {
      HttpReplies.write(ctx, flight.version, flight.keepAlive, reply);
      // Ask for the next request from a fresh task: a read() issued while the flow-control
      // handler is still delivering this request is lost, and pipelined requests would stall.
      ctx.executor().execute(ctx::read);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.atDebug()
        .addKeyValue("pod.ip", callerText(ctx.channel()))
        .log("closing connection after error: {}", String.valueOf(cause));
    ctx.close();
  }

  /** One request awaiting its answer. */
  private static final class InFlight {
    final ChannelHandlerContext ctx;
    final HttpVersion version;
    final boolean keepAlive;
    final long start;
    AccessLog.Entry entry;
    ScheduledFuture<?> deadline;

    InFlight(ChannelHandlerContext ctx, HttpVersion version, boolean keepAlive, long start) {
      this.ctx = ctx;
      this.version = version;
      this.keepAlive = keepAlive;
      this.start = start;
    }
  }
}
