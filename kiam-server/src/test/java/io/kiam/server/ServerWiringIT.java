package io.kiam.server;

import static io.kiam.server.testing.TestPods.namespace;
import static io.kiam.server.testing.TestPods.running;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.kiam.common.logging.LogFormat;
import io.kiam.common.tls.ReloadingTls;
import io.kiam.common.tls.TlsFiles;
import io.kiam.proto.v1.Credentials;
import io.kiam.proto.v1.GetPodCredentialsRequest;
import io.kiam.proto.v1.KiamServiceGrpc;
import io.kiam.server.testing.MockApiCleanup;
import io.kiam.testkit.pki.TestPki;
import io.kiam.testkit.sts.AssumeRoleCall;
import io.kiam.testkit.sts.StsEndpoint;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server exactly as main wires it: the API server reached through a kubeconfig file, STS
 * through the AWS SDK against the testkit endpoint (which checks SigV4 signatures), the real
 * credential cache, and an agent-side call over mutual TLS. Proves the pieces meet.
 */
@EnableKubernetesMockClient(crud = true)
@Timeout(90)
class ServerWiringIT {
  // instance fields: each test gets an API server of its own, so that no state or stalled
  // clean-up of one test reaches the next
  KubernetesMockServer mock;
  KubernetesClient client;

  @TempDir Path dir;
  private StsEndpoint sts;
  private KiamServer server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    sts = StsEndpoint.builder().role("shop-web").start();
    // The SDK's default chain reads these; main would get them from the pod's environment.
    System.setProperty("aws.accessKeyId", sts.baseCredentials().get(0).accessKeyId());
    System.setProperty("aws.secretAccessKey", sts.baseCredentials().get(0).secretAccessKey());
    client.namespaces().resource(namespace("shop", "shop-.*")).create();
  }

  @AfterEach
  void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    MockApiCleanup.deleteAllBeforeClosing(client, server);
    if (server != null) {
      server.close();
    }
    sts.close();
    System.clearProperty("aws.accessKeyId");
    System.clearProperty("aws.secretAccessKey");
  }

  private Path kubeconfig() throws Exception {
    String yaml =
        String.join(
            "\n",
            "apiVersion: v1",
            "kind: Config",
            "clusters:",
            "- name: mock",
            "  cluster:",
            "    server: " + client.getConfiguration().getMasterUrl(),
            "    insecure-skip-tls-verify: true",
            "users:",
            "- name: test",
            "  user:",
            "    token: test-token",
            "contexts:",
            "- name: mock",
            "  context:",
            "    cluster: mock",
            "    user: test",
            "current-context: mock",
            "");
    return Files.writeString(dir.resolve("kubeconfig"), yaml);
  }

  @Test
  void podGetsCredentialsThatStsIssuedForItsRole() throws Exception {
    TestPki pki = TestPki.create(dir.resolve("pki"));
    TlsFiles serverTls = pki.issueServer("kiam-server", List.of("127.0.0.1"));
    ReloadingTls agentTls = ReloadingTls.load(pki.issueClient("kiam-agent"));
    ServerConfig config =
        new ServerConfig(
            new InetSocketAddress("127.0.0.1", 0),
            Optional.of(kubeconfig()),
            serverTls,
            Optional.of("arn:aws:iam::" + sts.account() + ":role/"),
            false,
            Optional.empty(),
            Optional.of("eu-west-1"),
            Optional.of(sts.uri()),
            "wiring",
            Duration.ofMinutes(60),
            Duration.ofMinutes(30),
            Duration.ofMillis(300),
            Optional.empty(),
            LogFormat.TEXT,
            "info",
            Duration.ofSeconds(2));
    server = ServerCommand.production(config);
    server.start();
    server.synced().get(30, TimeUnit.SECONDS);

    client
        .pods()
        .inNamespace("shop")
        .resource(running("shop", "web", "10.5.0.1", "shop-web"))
        .create();
    // The pod's appearance alone makes the server ask STS (prefetch).
    List<AssumeRoleCall> calls = sts.awaitAssumeRoleCalls("shop-web", 1, Duration.ofSeconds(20));
    assertEquals("kiam-wiring", calls.get(0).roleSessionName());
    assertEquals(3600, calls.get(0).durationSeconds());

    channel =
        NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort())
            .sslContext(agentTls.grpcClientContext())
            .build();
    Credentials credentials =
        KiamServiceGrpc.newBlockingStub(channel)
            .withDeadlineAfter(20, TimeUnit.SECONDS)
            .getPodCredentials(
                GetPodCredentialsRequest.newBuilder().setIp("10.5.0.1").setRole("shop-web").build())
            .getCredentials();

    var issued = sts.issuedCredentials(credentials.getAccessKeyId()).orElseThrow();
    assertEquals(issued.secretAccessKey(), credentials.getSecretAccessKey());
    assertEquals(issued.sessionToken(), credentials.getSessionToken());
    assertEquals(sts.roleArn("shop-web"), credentials.getRoleArn());
    assertEquals(sts.account(), credentials.getAccountId());
    assertEquals(1, sts.calls().assumeRoleCalls().size(), "the request was a cache hit");
    assertTrue(credentials.getExpirationEpochSeconds() > System.currentTimeMillis() / 1000 + 1800);
  }
}
