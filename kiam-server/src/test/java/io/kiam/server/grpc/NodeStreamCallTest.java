package io.kiam.server.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.kiam.proto.v1.NodeEvent;
import io.kiam.server.k8s.PodInfo;
import io.kiam.server.k8s.PodPhase;
import io.kiam.server.nodes.IpView;
import io.kiam.server.policy.Decision;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The per-stream queue between the fan-out thread and gRPC's flow control. */
class NodeStreamCallTest {
  @Test
  void aStreamThatIsNotReadCoalescesPerIpThenEndsWithResourceExhaustedPastItsBound() {
    FakeCall call = new FakeCall();
    NodeStreamCall stream = new NodeStreamCall("node-a", call, 3);
    AtomicInteger ended = new AtomicInteger();
    stream.onEnd(ended::incrementAndGet);
    call.ready = false;

    stream.changed(refused("10.0.0.1", "first"));
    stream.changed(refused("10.0.0.1", "second")); // same IP: replaces, does not grow
    stream.changed(refused("10.0.0.2", "x"));
    stream.snapshotComplete(2);
    assertTrue(call.sent.isEmpty(), "nothing is written while gRPC is not ready");
    assertNull(call.error);

    stream.changed(refused("10.0.0.3", "y")); // a fourth distinct key: past the bound
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, Status.fromThrowable(call.error).getCode());
    assertEquals(1, ended.get(), "the subscription is closed once");
    stream.changed(refused("10.0.0.4", "z"));
    call.ready = true;
    stream.drain();
    assertTrue(call.sent.isEmpty(), "an ended stream sends nothing more");
  }

  @Test
  void drainsInOrderWithTheLatestAnswerPerIpWhenGrpcIsReadyAgain() {
    FakeCall call = new FakeCall();
    NodeStreamCall stream = new NodeStreamCall("node-a", call, 10);
    call.ready = false;
    stream.changed(refused("10.0.0.1", "first"));
    stream.changed(refused("10.0.0.2", "x"));
    stream.changed(refused("10.0.0.1", "second"));
    stream.snapshotComplete(2);
    stream.heartbeat(); // something is waiting: no heartbeat
    call.ready = true;
    stream.drain();

    assertEquals(3, call.sent.size());
    assertEquals("second", call.sent.get(0).getAssigned().getDecision().getRefused().getReason());
    assertEquals("10.0.0.2", call.sent.get(1).getAssigned().getIp());
    assertTrue(call.sent.get(2).hasSnapshotComplete());
    stream.heartbeat();
    assertTrue(call.sent.get(3).hasHeartbeat());
  }

  @Test
  void theServerGoingAwayEndsTheStreamAsUnavailable() {
    FakeCall call = new FakeCall();
    NodeStreamCall stream = new NodeStreamCall("node-a", call, 10);
    stream.ended("shutting down");
    assertEquals(Status.Code.UNAVAILABLE, Status.fromThrowable(call.error).getCode());
  }

  private static IpView refused(String ip, String reason) {
    PodInfo pod =
        new PodInfo(
            "uid-" + ip,
            "shop",
            "web",
            List.of(ip),
            PodPhase.parse("Running"),
            false,
            false,
            "bank-admin",
            null,
            null,
            "default",
            "1",
            "node-a");
    return new IpView.Assigned(ip, pod, new Decision.Forbidden(reason), null, null);
  }

  /** A call whose readiness the test sets, recording what was written. */
  private static final class FakeCall extends ServerCallStreamObserver<NodeEvent> {
    final List<NodeEvent> sent = new ArrayList<>();
    boolean ready = true;
    Throwable error;

    @Override
    public boolean isReady() {
      return ready;
    }

    @Override
    public void onNext(NodeEvent value) {
      sent.add(value);
    }

    @Override
    public void onError(Throwable t) {
      error = t;
    }

    @Override
    public void onCompleted() {}

    @Override
    public boolean isCancelled() {
      return false;
    }

    @Override
    public void setOnCancelHandler(Runnable onCancelHandler) {}

    @Override
    public void setCompression(String compression) {}

    @Override
    public void setOnReadyHandler(Runnable onReadyHandler) {}

    @Override
    public void disableAutoInboundFlowControl() {}

    @Override
    public void request(int count) {}

    @Override
    public void setMessageCompression(boolean enable) {}
  }
}
