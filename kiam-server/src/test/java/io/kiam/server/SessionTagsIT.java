package io.kiam.server;

import static io.kiam.server.testing.TestPods.namespace;
import static io.kiam.server.testing.TestPods.running;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
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
import io.kiam.testkit.sts.CallOutcome;
import io.kiam.testkit.sts.RoleSpec;
import io.kiam.testkit.sts.StsEndpoint;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --session-tags} as main wires it: each pod's AssumeRole goes through the AWS SDK to the
 * testkit STS with the pod's tags and SourceIdentity, so two pods of one role get two sessions; a
 * role whose trust lacks sts:TagSession is refused with STS's AccessDenied, passed on to the agent.
 */
@EnableKubernetesMockClient(crud = true)
@Timeout(90)
class SessionTagsIT {
  KubernetesMockServer mock;
  KubernetesClient client;

  @TempDir Path dir;
  private StsEndpoint sts;
  private KiamServer server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    sts =
        StsEndpoint.builder()
            .role(
                RoleSpec.of("tags-web")
                    .trusting(RoleSpec.TAG_SESSION, RoleSpec.SET_SOURCE_IDENTITY))
            .role(
                RoleSpec.of("tags-late")
                    .trusting(RoleSpec.TAG_SESSION, RoleSpec.SET_SOURCE_IDENTITY))
            .role("tags-untrusting")
            .start();
    System.setProperty("aws.accessKeyId", sts.baseCredentials().get(0).accessKeyId());
    System.setProperty("aws.secretAccessKey", sts.baseCredentials().get(0).secretAccessKey());
    client.namespaces().resource(namespace("tags", "tags-.*")).create();
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
                "tagged",
                Duration.ofMinutes(60),
                Duration.ofMinutes(30),
                Duration.ofMillis(300),
                Optional.empty(),
                LogFormat.TEXT,
                "info",
                Duration.ofSeconds(2))
            .withSessionTags(true);
    server = ServerCommand.production(config);
    server.start();
    server.synced().get(30, TimeUnit.SECONDS);
    channel =
        NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort())
            .sslContext(agentTls.grpcClientContext())
            .build();
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

  private Pod create(String name, String ip, String role) {
    Pod pod = running("tags", name, ip, role);
    pod.getSpec().setNodeName("node-a");
    return client.pods().inNamespace("tags").resource(pod).create();
  }

  private Credentials credentials(String ip, String role) {
    return KiamServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(20, TimeUnit.SECONDS)
        .getPodCredentials(GetPodCredentialsRequest.newBuilder().setIp(ip).setRole(role).build())
        .getCredentials();
  }

  @Test
  void eachPodOfARoleGetsASessionTaggedWithItself() {
    Pod web1 = create("web-1", "10.6.0.1", "tags-web");
    Pod web2 = create("web-2", "10.6.0.2", "tags-web");

    // Both pods' appearance makes the server ask STS, once each: tagged sessions are per pod.
    List<AssumeRoleCall> calls = sts.awaitAssumeRoleCalls("tags-web", 2, Duration.ofSeconds(20));
    Map<String, AssumeRoleCall> byPod =
        Map.of(
            calls.get(0).tags().get("kubernetes-pod-name"), calls.get(0),
            calls.get(1).tags().get("kubernetes-pod-name"), calls.get(1));
    AssumeRoleCall call1 = byPod.get("web-1");
    assertEquals(CallOutcome.ISSUED, call1.outcome(), call1.toString());
    assertEquals(
        Map.of(
            "kubernetes-namespace", "tags",
            "kubernetes-pod-name", "web-1",
            "kubernetes-pod-uid", web1.getMetadata().getUid(),
            "kubernetes-service-account", "default",
            "kubernetes-node-name", "node-a"),
        call1.tags());
    assertEquals("tags.web-1", call1.sourceIdentity());
    assertEquals("kiam-tagged", call1.roleSessionName());
    assertEquals(web2.getMetadata().getUid(), byPod.get("web-2").tags().get("kubernetes-pod-uid"));

    Credentials c1 = credentials("10.6.0.1", "tags-web");
    Credentials c2 = credentials("10.6.0.2", "tags-web");
    assertNotEquals(c1.getAccessKeyId(), c2.getAccessKeyId());
    assertEquals(call1.issuedAccessKeyId(), c1.getAccessKeyId());
    assertEquals(2, sts.calls().assumeRoleCalls().size(), "both requests were cache hits");
  }

  @Test
  void aPodIsFetchedForOnceScheduledAndItsSessionNamesTheNode() {
    Pod pending = running("tags", "late", "10.6.0.9", "tags-late");
    client.pods().inNamespace("tags").resource(pending).create();
    client
        .pods()
        .inNamespace("tags")
        .withName("late")
        .edit(p -> new PodBuilder(p).editSpec().withNodeName("node-b").endSpec().build());

    // Had the unscheduled pod been fetched for, its session (without a node) would come first.
    List<AssumeRoleCall> calls = sts.awaitAssumeRoleCalls("tags-late", 1, Duration.ofSeconds(20));
    assertEquals(
        "node-b", calls.get(0).tags().get("kubernetes-node-name"), calls.get(0).toString());
    Credentials served = credentials("10.6.0.9", "tags-late");
    assertEquals(calls.get(0).issuedAccessKeyId(), served.getAccessKeyId());
    assertEquals(
        1,
        sts.calls().assumeRoleCalls().stream()
            .filter(c -> c.roleArn().endsWith("/tags-late"))
            .count(),
        "the request was a cache hit");
  }

  @Test
  void aRoleWhoseTrustLacksTagSessionIsRefusedWithStsReason() {
    create("legacy", "10.6.0.3", "tags-untrusting");
    sts.awaitAssumeRoleCalls("tags-untrusting", 1, Duration.ofSeconds(20));

    StatusRuntimeException e =
        assertThrows(
            StatusRuntimeException.class, () -> credentials("10.6.0.3", "tags-untrusting"));

    assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode(), e.toString());
    assertTrue(
        String.valueOf(e.getStatus().getDescription()).contains("sts:TagSession"), e.toString());
    assertTrue(
        sts.calls().assumeRoleCalls("tags-untrusting").stream()
            .allMatch(c -> c.outcome() == CallOutcome.ACCESS_DENIED));
  }
}
