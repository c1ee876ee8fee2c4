package io.kiam.agent.http;

import io.kiam.agent.imds.MetadataServices;
import io.kiam.agent.imds.Responder;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.flow.FlowControlHandler;
import java.time.Duration;

/** The pipeline of one pod connection: bounded HTTP/1.1 decoding, then the metadata handler. */
public final class MetadataInitializer extends ChannelInitializer<Channel> {
  /** The longest request line accepted; longer gets 400. */
  public static final int MAX_INITIAL_LINE = 4096;

  /** The most header bytes accepted; more gets 431. */
  public static final int MAX_HEADERS = 8192;

  /** Metadata requests have no body worth reading; anything larger gets 413. */
  public static final int MAX_BODY = 8192;

  private final MetadataServices services;
  private final Responder responder;
  private final Duration idleTimeout;
  private final Duration slowRequestTimeout;
  private final ConnectionLimiter limiter;

  /**
   * @param idleTimeout how long an unused keep-alive connection stays open
   * @param slowRequestTimeout how long from a request's first byte to its answer at most
   */
  public MetadataInitializer(
      MetadataServices services, Duration idleTimeout, Duration slowRequestTimeout) {
    this(services, idleTimeout, slowRequestTimeout, ConnectionLimits.defaults());
  }

  /**
   * @param idleTimeout how long an unused keep-alive connection stays open
   * @param slowRequestTimeout how long from a request's first byte to its answer at most
   * @param limits how many connections one source and all sources together may hold open
   */
  public MetadataInitializer(
      MetadataServices services,
      Duration idleTimeout,
      Duration slowRequestTimeout,
      ConnectionLimits limits) {
    this.limiter = new ConnectionLimiter(limits);
    this.services = services;
    this.responder = new Responder(services);
    this.idleTimeout = idleTimeout;
    this.slowRequestTimeout = slowRequestTimeout;
  }

  @Override
  protected void initChannel(Channel ch) {
    // One request at a time per connection: the handler asks for the next once it has answered.
    ch.config().setAutoRead(false);
    ChannelPipeline p = ch.pipeline();
    p.addLast("limits", limiter.handler());
    p.addLast("slow-request", new SlowRequestGuard(slowRequestTimeout));
    p.addLast("idle", new IdleConnectionCloser(idleTimeout));
    p.addLast(
        "codec",
        new HttpServerCodec(
            new HttpDecoderConfig()
                .setMaxInitialLineLength(MAX_INITIAL_LINE)
                .setMaxHeaderSize(MAX_HEADERS)
                .setMaxChunkSize(MAX_BODY)));
    p.addLast("keep-alive", new HttpServerKeepAliveHandler());
    p.addLast("aggregator", new HttpObjectAggregator(MAX_BODY));
    p.addLast("flow", new FlowControlHandler());
    p.addLast(
        "malformed",
        new MalformedRequestHandler(services.metrics(), MAX_INITIAL_LINE, MAX_HEADERS));
    p.addLast("metadata", new MetadataHandler(services, responder));
  }
}
