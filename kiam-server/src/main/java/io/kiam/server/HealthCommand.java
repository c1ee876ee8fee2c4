package io.kiam.server;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.kiam.common.logging.LogFormat;
import io.kiam.common.logging.Logging;
import io.kiam.common.tls.ReloadingTls;
import io.kiam.common.tls.TlsFiles;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code kiam-server health}: asks a server's grpc.health.v1 service over mutual TLS, for exec
 * probes; exit 0 when SERVING, 1 otherwise (NOT_SERVING, unreachable, TLS refused).
 */
@Command(
    name = "health",
    mixinStandardHelpOptions = true,
    description = "Check a kiam-server's gRPC health over mutual TLS: exit 0 if SERVING, else 1.")
public final class HealthCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--server-address",
      paramLabel = "HOST:PORT",
      defaultValue = "127.0.0.1:9610",
      description = "The server to check, HOST:PORT (default: ${DEFAULT-VALUE}).")
  InetSocketAddress serverAddress;

  @Option(
      names = "--cert",
      paramLabel = "FILE",
      required = true,
      description = "Client certificate (PEM).")
  Path cert;

  @Option(
      names = "--key",
      paramLabel = "FILE",
      required = true,
      description = "Client private key (PEM).")
  Path key;

  @Option(
      names = "--ca",
      paramLabel = "FILE",
      required = true,
      description = "CA that signed the server's certificate (PEM).")
  Path ca;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      defaultValue = "2s",
      description = "How long to wait for the answer (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  /** uswitch/kiam v4's health flags, so kiam's probes run unchanged. */
  @Mixin KiamHealthFlags kiam = new KiamHealthFlags();

  @Override
  public Integer call() {
    if (timeout.isZero() || timeout.isNegative()) {
      throw new IllegalArgumentException("--timeout: must be positive");
    }
    // A probe prints one line; the libraries' start-up chatter would bury it.
    Logging.configure(LogFormat.TEXT, "warn");
    kiam.warn();
    ReloadingTls tls = ReloadingTls.load(new TlsFiles(cert, key, ca));
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    ManagedChannel channel =
        NettyChannelBuilder.forAddress(serverAddress.getHostString(), serverAddress.getPort())
            .sslContext(tls.grpcClientContext())
            .build();
    try {
      HealthCheckResponse response =
          HealthGrpc.newBlockingStub(channel)
              .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
              .check(HealthCheckRequest.getDefaultInstance());
      out.println(response.getStatus());
      out.flush();
      return response.getStatus() == HealthCheckResponse.ServingStatus.SERVING ? 0 : 1;
    } catch (StatusRuntimeException e) {
      err.println(
          "kiam-server health: "
              + serverAddress.getHostString()
              + ":"
              + serverAddress.getPort()
              + ": "
              + e.getStatus().getCode()
              + (e.getStatus().getDescription() == null
                  ? ""
                  : ": " + e.getStatus().getDescription()));
      err.flush();
      return 1;
    } finally {
      channel.shutdownNow();
      tls.close();
    }
  }
}
