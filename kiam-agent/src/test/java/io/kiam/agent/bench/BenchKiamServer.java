package io.kiam.agent.bench;

import io.kiam.agent.testing.FakeKiamServer;
import io.kiam.agent.testing.ProgrammableBackend;
import io.kiam.testkit.pki.TestPki;
import java.nio.file.Path;

/**
 * A kiam-server stand-in for measuring a real {@code java -jar kiam-agent.jar}: the fake gRPC
 * server with mutual TLS, loopback as a pod with a role, certificates written to a directory.
 * Prints the flags the agent needs, then serves until killed.
 *
 * <pre>
 * java -cp TEST_CLASSPATH io.kiam.agent.bench.BenchKiamServer /tmp/kiam-bench
 * </pre>
 */
public final class BenchKiamServer {
  private BenchKiamServer() {}

  public static void main(String[] args) throws InterruptedException {
    Path dir = Path.of(args.length > 0 ? args[0] : "/tmp/kiam-bench");
    ProgrammableBackend backend =
        new ProgrammableBackend().pod("127.0.0.1", "shop", "web-1", InstantServers.ROLE);
    FakeKiamServer server = FakeKiamServer.start(TestPki.create(dir), backend);
    System.out.printf(
        "--server-address %s --cert %s --key %s --ca %s%n",
        server.target(),
        server.clientTls().cert(),
        server.clientTls().key(),
        server.clientTls().ca());
    System.out.flush();
    Thread.currentThread().join();
  }
}
