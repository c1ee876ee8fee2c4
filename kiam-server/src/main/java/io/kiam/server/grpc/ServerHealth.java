package io.kiam.server.grpc;

import io.grpc.BindableService;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.kiam.proto.v1.KiamServiceGrpc;

/**
 * The standard grpc.health.v1 service, for probes and load balancers: NOT_SERVING until the caches
 * have synced, SERVING after, NOT_SERVING for good once shutdown begins.
 */
public final class ServerHealth {
  private final HealthStatusManager manager = new HealthStatusManager();

  public ServerHealth() {
    set(ServingStatus.NOT_SERVING);
  }

  /** The service to add to the gRPC server. */
  public BindableService service() {
    return manager.getHealthService();
  }

  /** The caches have synced: agents may be answered. */
  public void serving() {
    set(ServingStatus.SERVING);
  }

  /** Shutdown began: every later check says NOT_SERVING, whatever happens next. */
  public void shuttingDown() {
    manager.enterTerminalState();
  }

  private void set(ServingStatus status) {
    manager.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, status);
    manager.setStatus(KiamServiceGrpc.SERVICE_NAME, status);
  }
}
