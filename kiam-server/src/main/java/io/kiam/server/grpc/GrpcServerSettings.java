package io.kiam.server.grpc;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The gRPC server's connection settings: keepalive pings and how long connections live (kiam's
 * {@code --grpc-keepalive-*} and {@code --grpc-max-connection-*} flags set them).
 *
 * @param keepAliveTime how often the server pings an idle connection
 * @param keepAliveTimeout how long a ping may go unanswered before the connection is closed
 * @param maxConnectionIdle close connections idle this long (empty: never)
 * @param maxConnectionAge close connections this old, so agents re-resolve the servers (empty:
 *     never)
 * @param maxConnectionAgeGrace how long in-flight calls on an aged connection get to finish
 */
public record GrpcServerSettings(
    Duration keepAliveTime,
    Duration keepAliveTimeout,
    Optional<Duration> maxConnectionIdle,
    Optional<Duration> maxConnectionAge,
    Duration maxConnectionAgeGrace) {

  public static final Duration DEFAULT_KEEPALIVE_TIME = Duration.ofSeconds(30);
  public static final Duration DEFAULT_KEEPALIVE_TIMEOUT = Duration.ofSeconds(10);

  /** Connections live this long, so a rotated server set is picked up within minutes. */
  public static final Duration DEFAULT_MAX_CONNECTION_AGE = Duration.ofMinutes(5);

  /** In-flight calls on an aged connection get this long to finish. */
  public static final Duration DEFAULT_MAX_CONNECTION_AGE_GRACE = Duration.ofSeconds(30);

  public GrpcServerSettings {
    positive("keepalive time", keepAliveTime);
    positive("keepalive timeout", keepAliveTimeout);
    Objects.requireNonNull(maxConnectionIdle, "maxConnectionIdle")
        .ifPresent(d -> positive("max connection idle", d));
    Objects.requireNonNull(maxConnectionAge, "maxConnectionAge")
        .ifPresent(d -> positive("max connection age", d));
    Objects.requireNonNull(maxConnectionAgeGrace, "maxConnectionAgeGrace");
    if (maxConnectionAgeGrace.isNegative()) {
      throw new IllegalArgumentException("max connection age grace must not be negative");
    }
  }

  /** 30 s keepalive, 10 s ping timeout, no idle limit, connections aged out after 5 min. */
  public static GrpcServerSettings defaults() {
    return new GrpcServerSettings(
        DEFAULT_KEEPALIVE_TIME,
        DEFAULT_KEEPALIVE_TIMEOUT,
        Optional.empty(),
        Optional.of(DEFAULT_MAX_CONNECTION_AGE),
        DEFAULT_MAX_CONNECTION_AGE_GRACE);
  }

  private static void positive(String what, Duration d) {
    Objects.requireNonNull(d, what);
    if (d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException(what + " must be positive");
    }
  }
}
