package io.kiam.agent.http;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.kiam.agent.imds.InterceptionCheck;
import io.kiam.agent.imds.MetadataServices;
import io.kiam.agent.imds.Router;
import io.kiam.agent.imds.TokenIssuer;
import io.kiam.agent.imds.Upstream;
import io.kiam.agent.metrics.AgentMetrics;
import io.kiam.testkit.time.MutableClock;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The agent's whole HTTP pipeline on {@link EmbeddedChannel}s, with a {@link FakeServerClient}
 * behind it: tests write raw request bytes and read parsed responses.
 */
final class EmbeddedAgent {
  static final Duration REQUEST_TIMEOUT = Duration.ofMillis(900);
  static final Duration IDLE = Duration.ofSeconds(60);
  static final Duration SLOW_REQUEST = Duration.ofSeconds(10);

  final FakeServerClient servers = new FakeServerClient();
  final MutableClock clock = new MutableClock(Instant.parse("2026-01-02T15:04:05Z"));
  final PrometheusRegistry registry = new PrometheusRegistry();
  final TokenIssuer tokens = new TokenIssuer(clock, new SecureRandom());
  private Optional<Pattern> allowRoute = Optional.empty();
  private Upstream upstream = Upstream.none();
  private InterceptionCheck interception = InterceptionCheck.notManaged();
  private boolean requireImdsv2;
  private MetadataInitializer initializer;

  EmbeddedAgent requireImdsv2() {
    requireImdsv2 = true;
    return this;
  }

  EmbeddedAgent allowRoute(String regex) {
    allowRoute = Optional.of(Pattern.compile(regex));
    return this;
  }

  EmbeddedAgent upstream(Upstream value) {
    upstream = value;
    return this;
  }

  EmbeddedAgent interception(InterceptionCheck value) {
    interception = value;
    return this;
  }

  /** A connection from {@code ip} (port 40000). */
  CallerChannel connect(String ip) {
    if (initializer == null) {
      MetadataServices services =
          new MetadataServices(
              servers,
              tokens,
              new Router(allowRoute),
              upstream,
              interception,
              Runnable::run,
              requireImdsv2,
              REQUEST_TIMEOUT,
              new AgentMetrics(registry));
      initializer = new MetadataInitializer(services, IDLE, SLOW_REQUEST);
    }
    return new CallerChannel(new InetSocketAddress(address(ip), 40000), initializer);
  }

  static InetAddress address(String ip) {
    try {
      return InetAddress.getByName(ip);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(ip, e);
    }
  }

  /** A parsed response, released from Netty's buffers. */
  record Answer(int status, HttpHeaders headers, String body) {
    String header(String name) {
      return headers.get(name);
    }
  }

  /** Writes {@code raw} bytes, runs what they started, and returns every complete response. */
  static List<Answer> send(EmbeddedChannel channel, String raw) {
    channel.writeInbound(Unpooled.copiedBuffer(raw, UTF_8));
    channel.runPendingTasks();
    return responses(channel);
  }

  /** One GET over a fresh keep-alive exchange on {@code channel}; exactly one response expected. */
  static Answer get(EmbeddedChannel channel, String target, String... headers) {
    return single(send(channel, request("GET", target, headers)));
  }

  static Answer put(EmbeddedChannel channel, String target, String... headers) {
    return single(send(channel, request("PUT", target, headers)));
  }

  static String request(String method, String target, String... headers) {
    StringBuilder raw = new StringBuilder(method + " " + target + " HTTP/1.1\r\n");
    raw.append("Host: 169.254.169.254\r\n");
    for (String header : headers) {
      raw.append(header).append("\r\n");
    }
    return raw.append("\r\n").toString();
  }

  static Answer single(List<Answer> answers) {
    if (answers.size() != 1) {
      throw new AssertionError("expected one response, got " + answers.size());
    }
    return answers.get(0);
  }

  /** Whatever the channel wrote since the last call, parsed as HTTP responses. */
  static List<Answer> responses(EmbeddedChannel channel) {
    EmbeddedChannel decoder =
        new EmbeddedChannel(new HttpResponseDecoder(), new HttpObjectAggregator(1 << 20));
    for (Object out = channel.readOutbound(); out != null; out = channel.readOutbound()) {
      decoder.writeInbound((ByteBuf) out);
    }
    decoder.finish();
    List<Answer> answers = new ArrayList<>();
    for (Object in = decoder.readInbound(); in != null; in = decoder.readInbound()) {
      FullHttpResponse response = (FullHttpResponse) in;
      answers.add(
          new Answer(
              response.status().code(),
              response.headers().copy(),
              response.content().toString(UTF_8)));
      response.release();
    }
    return answers;
  }

  /** Moves the channel's clock on and runs the timers that came due. */
  static void elapse(EmbeddedChannel channel, Duration d) {
    channel.advanceTimeBy(d.toNanos(), TimeUnit.NANOSECONDS);
    channel.runScheduledPendingTasks();
    channel.runPendingTasks();
  }

  /** How many observations a histogram holds for {@code route}. */
  long histogramCount(String name, String route) {
    for (MetricSnapshot snapshot : registry.scrape()) {
      if (snapshot instanceof HistogramSnapshot histogram
          && histogram.getMetadata().getPrometheusName().equals(name)) {
        return histogram.getDataPoints().stream()
            .filter(p -> p.getLabels().equals(Labels.of("route", route)))
            .mapToLong(HistogramSnapshot.HistogramDataPointSnapshot::getCount)
            .sum();
      }
    }
    return 0;
  }

  /** The value of a counter with these labels (0 when never incremented). */
  double counter(String name, String... labels) {
    for (MetricSnapshot snapshot : registry.scrape()) {
      if (snapshot instanceof CounterSnapshot counter
          && counter.getMetadata().getPrometheusName().equals(name)) {
        Labels wanted = Labels.of(labels);
        return counter.getDataPoints().stream()
            .filter(p -> p.getLabels().equals(wanted))
            .mapToDouble(CounterSnapshot.CounterDataPointSnapshot::getValue)
            .sum();
      }
    }
    return 0;
  }
}
