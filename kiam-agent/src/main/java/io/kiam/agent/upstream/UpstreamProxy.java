package io.kiam.agent.upstream;

import io.kiam.agent.imds.BadPathException;
import io.kiam.agent.imds.NormalizedPath;
import io.kiam.agent.imds.PathNormalizer;
import io.kiam.agent.imds.Reply;
import io.kiam.agent.imds.Router;
import io.kiam.agent.imds.Upstream;
import io.kiam.common.imds.MetadataTokens;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Relays allow-listed GETs to the real metadata service. Nothing the pod sent is forwarded (no
 * X-Forwarded-For, no token of ours): each call is a fresh request with the agent's own IMDSv2
 * token, bounded in time and size.
 */
public final class UpstreamProxy implements Upstream {
  static final int MAX_RESPONSE = 64 * 1024;
  private static final int TOKEN_TTL_SECONDS = MetadataTokens.MAX_TTL_SECONDS;
  private static final long NO_TOKEN_RETRY_NANOS = TimeUnit.MINUTES.toNanos(1);

  private final String host;
  private final int port;
  private final EventLoopGroup group;
  private final Duration timeout;
  private volatile CachedToken token;

  /** {@code endpoint} is http://HOST[:PORT]; {@code group} is the agent's event loop group. */
  public UpstreamProxy(URI endpoint, EventLoopGroup group, Duration timeout) {
    this.host = endpoint.getHost();
    this.port = endpoint.getPort() < 0 ? 80 : endpoint.getPort();
    this.group = group;
    this.timeout = timeout;
  }

  @Override
  public CompletableFuture<Reply> get(String path) {
    Optional<String> refused = refusal(path);
    if (refused.isPresent()) {
      return CompletableFuture.completedFuture(
          Reply.error(HttpResponseStatus.NOT_FOUND, "blocked by kiam: " + refused.get()));
    }
    return fetch(path, true).thenApply(UpstreamProxy::relay).exceptionally(UpstreamProxy::failure);
  }

  /**
   * GETs {@code path} with the agent's token; a 401 means the upstream no longer knows that token
   * (it restarted, or the node's IMDS settings changed), so it is dropped and fetched once more.
   */
  private CompletableFuture<Answer> fetch(String path, boolean mayRetry) {
    return upstreamToken()
        .thenCompose(
            t ->
                exchange(
                        HttpMethod.GET,
                        path,
                        t == null ? Map.of() : Map.of(MetadataTokens.TOKEN_HEADER, t))
                    .thenCompose(
                        answer -> {
                          if (answer.status().code() != 401 || !mayRetry) {
                            return CompletableFuture.completedFuture(answer);
                          }
                          forget(t);
                          return fetch(path, false);
                        }));
  }

  /** Drops the cached token if it is still {@code refused}; a newer one stays. */
  private synchronized void forget(String refused) {
    CachedToken cached = token;
    if (cached != null && Objects.equals(cached.value(), refused)) {
      token = null;
    }
  }

  /**
   * A second gate before anything leaves the node: only a canonical path (the one the router
   * judged) outside the node's identity is forwarded, whoever calls.
   */
  private static Optional<String> refusal(String path) {
    NormalizedPath canonical;
    try {
      canonical = PathNormalizer.normalize(path);
    } catch (BadPathException e) {
      return Optional.of(e.getMessage());
    }
    if (!canonical.toString().equals(path)) {
      return Optional.of("only canonical paths are forwarded");
    }
    return Router.nodeIdentity(canonical).map(part -> part + " is the node's identity");
  }

  private static Reply relay(Answer answer) {
    int code = answer.status().code();
    if (code == 200 || code == 404) {
      return new Reply(
          answer.status(),
          answer.contentType() == null ? Reply.TEXT : answer.contentType(),
          answer.body(),
          Map.of(),
          code == 200 ? "" : "metadata endpoint answered 404",
          null,
          "",
          "");
    }
    return Reply.error(HttpResponseStatus.BAD_GATEWAY, "metadata endpoint answered " + code);
  }

  private static Reply failure(Throwable failure) {
    Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
    if (cause instanceof TimeoutException) {
      return Reply.error(
          HttpResponseStatus.GATEWAY_TIMEOUT, "metadata endpoint did not answer in time");
    }
    return Reply.error(
        HttpResponseStatus.BAD_GATEWAY, "metadata endpoint unreachable: " + cause.getMessage());
  }

  /** The agent's own upstream token, or null when the upstream does not issue them. */
  private CompletableFuture<String> upstreamToken() {
    CachedToken cached = token;
    if (cached != null && System.nanoTime() < cached.validUntilNanos()) {
      return CompletableFuture.completedFuture(cached.value());
    }
    return exchange(
            HttpMethod.PUT,
            "/" + MetadataTokens.TOKEN_PATH,
            Map.of(MetadataTokens.TTL_HEADER, Integer.toString(TOKEN_TTL_SECONDS)))
        .thenApply(
            answer -> {
              // A failure to connect or answer at all propagates: the upstream is down, and a
              // second attempt without a token would only double the wait.
              long now = System.nanoTime();
              if (answer.status().code() == 200) {
                String value = new String(answer.body(), StandardCharsets.US_ASCII).trim();
                // Renew well before the upstream forgets it.
                token =
                    new CachedToken(value, now + TimeUnit.SECONDS.toNanos(TOKEN_TTL_SECONDS - 600));
                return value;
              }
              // Alive but issuing no tokens (IMDSv1 only): go on without, ask again later.
              token = new CachedToken(null, now + NO_TOKEN_RETRY_NANOS);
              return null;
            });
  }

  private CompletableFuture<Answer> exchange(
      HttpMethod method, String path, Map<String, String> headers) {
    CompletableFuture<Answer> result = new CompletableFuture<>();
    Bootstrap bootstrap =
        new Bootstrap()
            .group(group)
            .channel(NioSocketChannel.class)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeout.toMillis())
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline()
                        .addLast(new HttpClientCodec())
                        .addLast(new HttpObjectAggregator(MAX_RESPONSE))
                        .addLast(new AnswerHandler(result));
                  }
                });
    ChannelFuture connect = bootstrap.connect(host, port);
    Channel channel = connect.channel();
    var deadline =
        channel
            .eventLoop()
            .schedule(
                () -> result.completeExceptionally(new TimeoutException()),
                timeout.toNanos(),
                TimeUnit.NANOSECONDS);
    result.whenComplete(
        (answer, failure) -> {
          deadline.cancel(false);
          channel.close();
        });
    connect.addListener(
        (ChannelFuture f) -> {
          if (!f.isSuccess()) {
            result.completeExceptionally(f.cause());
            return;
          }
          FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, path);
          request.headers().set(HttpHeaderNames.HOST, host);
          request.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
          request.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0);
          headers.forEach((name, value) -> request.headers().set(name, value));
          f.channel().writeAndFlush(request);
        });
    return result;
  }

  /** One upstream answer, read whole. */
  private record Answer(HttpResponseStatus status, String contentType, byte[] body) {}

  private record CachedToken(String value, long validUntilNanos) {}

  private static final class AnswerHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
    private final CompletableFuture<Answer> result;

    AnswerHandler(CompletableFuture<Answer> result) {
      this.result = result;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
      if (!response.decoderResult().isSuccess()) {
        result.completeExceptionally(response.decoderResult().cause());
        return;
      }
      result.complete(
          new Answer(
              response.status(),
              response.headers().get(HttpHeaderNames.CONTENT_TYPE),
              ByteBufUtil.getBytes(response.content())));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      result.completeExceptionally(new IOException("connection closed before a response"));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      result.completeExceptionally(cause);
      ctx.close();
    }
  }
}
