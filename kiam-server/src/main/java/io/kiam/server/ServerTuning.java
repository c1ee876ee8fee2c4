package io.kiam.server;

import io.kiam.server.grpc.GrpcServerSettings;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings kiam's own flags carry that sit beside {@link ServerConfig}: the gRPC connection
 * settings, the periodic re-check of every pod (kiam's {@code --sync}) and how namespace
 * expressions match.
 *
 * @param grpc keepalive and connection ages of the gRPC server
 * @param resync how often every running pod's credentials are prefetched again; zero: never (the
 *     watch alone drives prefetch)
 * @param anchoredNamespaces whether a namespace's expression must match the whole role
 */
public record ServerTuning(GrpcServerSettings grpc, Duration resync, boolean anchoredNamespaces) {
  public ServerTuning {
    Objects.requireNonNull(grpc, "grpc");
    Objects.requireNonNull(resync, "resync");
    if (resync.isNegative()) {
      throw new IllegalArgumentException("--sync: must not be negative");
    }
  }

  /** Our defaults: {@link GrpcServerSettings#defaults()}, no resync, anchored expressions. */
  public static ServerTuning defaults() {
    return new ServerTuning(GrpcServerSettings.defaults(), Duration.ZERO, true);
  }
}
