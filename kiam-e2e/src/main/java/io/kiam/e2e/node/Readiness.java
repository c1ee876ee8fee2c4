package io.kiam.e2e.node;

import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.kiam.common.tls.ReloadingTls;
import io.kiam.common.tls.TlsFiles;
import io.kiam.e2e.process.ManagedProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Bounded waits for the node's parts to become ready; each failure names the part and its log. */
public final class Readiness {
  private static final Duration POLL = Duration.ofMillis(100);

  private Readiness() {}

  /** Waits until the condition holds, failing after the timeout or when the process has died. */
  public static void await(
      String what, Duration timeout, ManagedProcess process, BooleanSupplier ready) {
    Instant deadline = Instant.now().plus(timeout);
    while (true) {
      if (ready.getAsBoolean()) {
        return;
      }
      if (process != null && !process.isAlive()) {
        throw new IllegalStateException(
            what + ": " + process.name() + " exited; its log ends with:\n" + process.logTail(30));
      }
      if (Instant.now().isAfter(deadline)) {
        throw new IllegalStateException(
            what
                + ": not ready after "
                + timeout.toSeconds()
                + "s"
                + (process == null
                    ? ""
                    : "; " + process.name() + " log ends with:\n" + process.logTail(30)));
      }
      try {
        Thread.sleep(POLL.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted waiting for " + what, e);
      }
    }
  }

  /** True once the process's log holds the text. */
  public static boolean logContains(ManagedProcess process, String text) {
    try {
      return Files.exists(process.logFile()) && Files.readString(process.logFile()).contains(text);
    } catch (IOException e) {
      return false;
    }
  }

  /** True when GET url answers 200. */
  public static boolean httpOk(String url) {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    try {
      HttpResponse<Void> response =
          client.send(
              HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
              HttpResponse.BodyHandlers.discarding());
      return response.statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** A gRPC health probe over mutual TLS, as an agent would connect. */
  public static final class GrpcHealth implements AutoCloseable {
    private final ReloadingTls tls;
    private final ManagedChannel channel;

    public GrpcHealth(String host, int port, TlsFiles clientTls) {
      this.tls = ReloadingTls.load(clientTls);
      this.channel =
          NettyChannelBuilder.forAddress(host, port).sslContext(tls.grpcClientContext()).build();
    }

    /** True when the server answers SERVING. */
    public boolean serving() {
      // a channel that failed to connect waits out an exponential backoff: retry at once instead
      channel.resetConnectBackoff();
      try {
        return HealthGrpc.newBlockingStub(channel)
                .withDeadlineAfter(2, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance())
                .getStatus()
            == HealthCheckResponse.ServingStatus.SERVING;
      } catch (RuntimeException e) {
        return false;
      }
    }

    @Override
    public void close() {
      channel.shutdownNow();
      tls.close();
    }
  }
}
