package io.kiam.agent.testing;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.kiam.common.tls.ReloadingTls;
import io.kiam.common.tls.TlsFiles;
import io.kiam.proto.v1.GetHealthRequest;
import io.kiam.proto.v1.GetHealthResponse;
import io.kiam.proto.v1.GetPodCredentialsRequest;
import io.kiam.proto.v1.GetPodCredentialsResponse;
import io.kiam.proto.v1.GetPodRoleRequest;
import io.kiam.proto.v1.GetPodRoleResponse;
import io.kiam.proto.v1.KiamServiceGrpc;
import io.kiam.proto.v1.NodeEvent;
import io.kiam.proto.v1.WatchNodeRequest;
import io.kiam.testkit.pki.TestPki;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A real kiam gRPC server for the agent's tests: Netty transport, mutual TLS from PEM files, and
 * the answers decided by a programmable {@link Backend} (see {@link ProgrammableBackend}).
 *
 * <p>It permits client keepalive pings every 10 s even without calls, as the real server must for
 * the agent's keepalive to work.
 */
public final class FakeKiamServer implements AutoCloseable {
  /** The names the fake's server certificate is valid for. */
  public static final List<String> SERVER_NAMES =
      List.of("localhost", "127.0.0.1", "kiam-server", "kiam-server.kiam.svc.cluster.local");

  private static final AtomicInteger CERT_SEQUENCE = new AtomicInteger();

  /** Decides each answer; throw {@code Status.X.asRuntimeException()} to fail a call. */
  public interface Backend {
    GetPodRoleResponse podRole(String ip);

    GetPodCredentialsResponse podCredentials(String ip, String role);

    /**
     * The whole request, for backends that answer decision_in_response; by default the field is
     * ignored, as a server of the previous version does.
     */
    default GetPodCredentialsResponse podCredentials(GetPodCredentialsRequest request) {
      return podCredentials(request.getIp(), request.getRole());
    }

    /** WatchNode; by default UNIMPLEMENTED, as a server of the previous version answers. */
    default void watchNode(WatchNodeRequest request, StreamObserver<NodeEvent> out) {
      out.onError(
          Status.UNIMPLEMENTED.withDescription("Method not found: WatchNode").asRuntimeException());
    }

    default GetHealthResponse health() {
      return GetHealthResponse.newBuilder().setServing(true).setMessage("ok").build();
    }

    /** How long to hold each answer back (zero: answer at once). */
    default Duration delay() {
      return Duration.ZERO;
    }
  }

  private final Server server;
  private final ReloadingTls tls;
  private final TlsFiles clientTls;
  private final ScheduledExecutorService delayer;
  private final ConcurrentMap<String, AtomicInteger> calls;

  private FakeKiamServer(
      Server server,
      ReloadingTls tls,
      TlsFiles clientTls,
      ScheduledExecutorService delayer,
      ConcurrentMap<String, AtomicInteger> calls) {
    this.server = server;
    this.tls = tls;
    this.clientTls = clientTls;
    this.delayer = delayer;
    this.calls = calls;
  }

  /**
   * A server on 127.0.0.1 (free port) with a new server certificate from {@code pki}; {@link
   * #clientTls()} is a client certificate from the same CA for the agent.
   */
  public static FakeKiamServer start(TestPki pki, Backend backend) {
    int n = CERT_SEQUENCE.incrementAndGet();
    TlsFiles serverTls = pki.issueServer("kiam-server-" + n, SERVER_NAMES);
    TlsFiles clientTls = pki.issueClient("kiam-agent-" + n);
    return builder(backend).tls(serverTls).clientTls(clientTls).start();
  }

  public static Builder builder(Backend backend) {
    return new Builder(backend);
  }

  /** Where the server listens. */
  public InetSocketAddress address() {
    return (InetSocketAddress) server.getListenSockets().get(0);
  }

  public int port() {
    return address().getPort();
  }

  /** A gRPC target naming this server, e.g. {@code 127.0.0.1:40123}. */
  public String target() {
    return address().getAddress().getHostAddress() + ":" + port();
  }

  /** A client certificate, key and CA the server accepts (null if the builder was given none). */
  public TlsFiles clientTls() {
    return clientTls;
  }

  /** Calls received so far for one method ("GetPodRole", "GetPodCredentials", "WatchNode"...). */
  public int calls(String method) {
    AtomicInteger count = calls.get(method);
    return count == null ? 0 : count.get();
  }

  /** Calls received so far for all methods. */
  public int calls() {
    return calls.values().stream().mapToInt(AtomicInteger::get).sum();
  }

  /** Re-reads the server's PEM files now; true when they changed and loaded. */
  public boolean reloadTls() {
    return tls.reloadIfChanged();
  }

  /** Stops at once: open connections are cut, as when a server pod dies. */
  @Override
  public void close() {
    server.shutdownNow();
    delayer.shutdownNow();
    tls.close();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Options for a server other than the default one of {@link #start(TestPki, Backend)}. */
  public static final class Builder {
    private final Backend backend;
    private TlsFiles tls;
    private TlsFiles clientTls;
    private InetSocketAddress bind = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private Duration maxConnectionAge;

    private Builder(Backend backend) {
      this.backend = backend;
    }

    /** The server's own certificate, key and the CA its clients must be signed by. */
    public Builder tls(TlsFiles serverTls) {
      this.tls = serverTls;
      return this;
    }

    /** Files handed out by {@link #clientTls()}, for the test's convenience only. */
    public Builder clientTls(TlsFiles files) {
      this.clientTls = files;
      return this;
    }

    /** Listen here instead of 127.0.0.1 on a free port (e.g. 127.0.0.2:P for a second server). */
    public Builder bind(InetSocketAddress address) {
      this.bind = address;
      return this;
    }

    /** Close each connection (with GOAWAY) after this age, as the real server does. */
    public Builder maxConnectionAge(Duration age) {
      this.maxConnectionAge = age;
      return this;
    }

    public FakeKiamServer start() {
      if (tls == null) {
        throw new IllegalStateException("tls(serverTls) is required");
      }
      ReloadingTls reloading = ReloadingTls.load(tls);
      ScheduledExecutorService delayer =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "fake-kiam-delay");
                t.setDaemon(true);
                return t;
              });
      ConcurrentMap<String, AtomicInteger> calls = new ConcurrentHashMap<>();
      NettyServerBuilder netty =
          NettyServerBuilder.forAddress(bind)
              .sslContext(reloading.grpcServerContext())
              .permitKeepAliveTime(10, TimeUnit.SECONDS)
              .permitKeepAliveWithoutCalls(true)
              .addService(new Service(backend, calls, delayer));
      if (maxConnectionAge != null) {
        netty
            .maxConnectionAge(maxConnectionAge.toMillis(), TimeUnit.MILLISECONDS)
            .maxConnectionAgeGrace(5, TimeUnit.SECONDS);
      }
      Server server = netty.build();
      try {
        server.start();
      } catch (IOException e) {
        delayer.shutdownNow();
        reloading.close();
        throw new UncheckedIOException("cannot start fake kiam server on " + bind, e);
      }
      return new FakeKiamServer(server, reloading, clientTls, delayer, calls);
    }
  }

  private static final class Service extends KiamServiceGrpc.KiamServiceImplBase {
    private final Backend backend;
    private final ScheduledExecutorService delayer;
    private final ConcurrentMap<String, AtomicInteger> calls;

    Service(
        Backend backend,
        ConcurrentMap<String, AtomicInteger> calls,
        ScheduledExecutorService delayer) {
      this.backend = backend;
      this.calls = calls;
      this.delayer = delayer;
    }

    @Override
    public void getPodRole(GetPodRoleRequest request, StreamObserver<GetPodRoleResponse> out) {
      answer("GetPodRole", () -> backend.podRole(request.getIp()), out);
    }

    @Override
    public void getPodCredentials(
        GetPodCredentialsRequest request, StreamObserver<GetPodCredentialsResponse> out) {
      answer("GetPodCredentials", () -> backend.podCredentials(request), out);
    }

    @Override
    public void watchNode(WatchNodeRequest request, StreamObserver<NodeEvent> out) {
      calls.computeIfAbsent("WatchNode", m -> new AtomicInteger()).incrementAndGet();
      backend.watchNode(request, out);
    }

    @Override
    public void getHealth(GetHealthRequest request, StreamObserver<GetHealthResponse> out) {
      answer("GetHealth", backend::health, out);
    }

    private <T> void answer(String method, Supplier<T> decision, StreamObserver<T> out) {
      calls.computeIfAbsent(method, m -> new AtomicInteger()).incrementAndGet();
      Runnable respond =
          () -> {
            try {
              out.onNext(decision.get());
              out.onCompleted();
            } catch (StatusRuntimeException e) {
              out.onError(e);
            } catch (RuntimeException e) {
              out.onError(Status.INTERNAL.withDescription(e.toString()).asRuntimeException());
            }
          };
      Duration delay = backend.delay();
      if (delay.isZero()) {
        respond.run();
      } else {
        delayer.schedule(respond, delay.toMillis(), TimeUnit.MILLISECONDS);
      }
    }
  }
}
