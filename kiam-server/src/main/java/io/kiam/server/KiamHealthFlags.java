package io.kiam.server;

import io.kiam.common.compat.KiamFlag;
import io.kiam.common.compat.KiamFlags;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * uswitch/kiam v4's {@code kiam health} flags that {@code kiam-server health} does not need, so
 * kiam's probes run unchanged; each is accepted and named in one warning.
 */
public final class KiamHealthFlags {
  /** What each kiam v4 health flag does here (docs/migrating.md's table is generated from it). */
  public static final List<KiamFlag> TABLE =
      List.of(
          KiamFlag.ignored(
              "--gateway-timeout-creation",
              "one deadline, --timeout, bounds connecting and the health call together"),
          KiamFlag.ignored(
              "--server-address-refresh",
              "the probe makes one call to one address; there is nothing to refresh"),
          KiamFlag.ignored(
              "--grpc-keepalive-time-duration", "the probe's connection lives for one call"),
          KiamFlag.ignored(
              "--grpc-keepalive-timeout-duration", "the probe's connection lives for one call"),
          KiamFlag.ignored(
              "--grpc-keepalive-permit-without-stream",
              "the probe's connection lives for one call"),
          KiamFlag.ignored("--json-log", "the probe prints one line: the serving status"),
          KiamFlag.ignored("--level", "the probe prints one line: the serving status"));

  @Spec(Spec.Target.MIXEE)
  CommandSpec mixee;

  @Option(
      names = "--gateway-timeout-creation",
      paramLabel = "DURATION",
      hidden = true,
      description = "kiam's flag, ignored: --timeout bounds connecting too.")
  Duration gatewayTimeoutCreation;

  @Option(
      names = "--server-address-refresh",
      paramLabel = "DURATION",
      hidden = true,
      description = "kiam's flag, ignored.")
  Duration serverAddressRefresh;

  @Option(
      names = "--grpc-keepalive-time-duration",
      paramLabel = "DURATION",
      hidden = true,
      description = "kiam's flag, ignored.")
  Duration keepAliveTime;

  @Option(
      names = "--grpc-keepalive-timeout-duration",
      paramLabel = "DURATION",
      hidden = true,
      description = "kiam's flag, ignored.")
  Duration keepAliveTimeout;

  @Option(
      names = "--grpc-keepalive-permit-without-stream",
      negatable = true,
      hidden = true,
      description = "kiam's flag, ignored.")
  boolean keepAlivePermitWithoutStream;

  @Option(names = "--json-log", hidden = true, description = "kiam's flag, ignored.")
  boolean jsonLog;

  @Option(names = "--level", hidden = true, description = "kiam's flag, ignored.")
  String level;

  /** One warning per kiam flag given; call after logging is configured. */
  void warn() {
    KiamFlags.warnIgnored(TABLE, mixee);
  }
}
