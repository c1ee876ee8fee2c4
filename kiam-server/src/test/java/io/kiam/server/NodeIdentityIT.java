package io.kiam.server;

import static io.kiam.server.testing.TestPods.namespace;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.kiam.common.logging.LogFormat;
import io.kiam.common.tls.ReloadingTls;
import io.kiam.common.tls.TlsFiles;
import io.kiam.proto.v1.GetHealthRequest;
import io.kiam.proto.v1.GetPodCredentialsRequest;
import io.kiam.proto.v1.GetPodCredentialsResponse;
import io.kiam.proto.v1.GetPodRoleRequest;
import io.kiam.proto.v1.KiamServiceGrpc;
import io.kiam.proto.v1.WatchNodeRequest;
import io.kiam.server.grpc.NodeIdentityInterceptor;
import io.kiam.server.identity.TokenReviewer;
import io.kiam.server.policy.ArnResolver;
import io.kiam.server.sts.DefaultArnResolver;
import io.kiam.server.testing.FakeCredentials;
import io.kiam.server.testing.MockApiCleanup;
import io.kiam.server.testing.TestPods;
import io.kiam.testkit.pki.TestPki;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Node-bound agents ({@code --require-node-identity}) over real mutual TLS against the real server
 * and informers: an agent's token binds it to a node, and it is served that node's pods and stream
 * only. The TokenReview itself is a stand-in here (the mock API server cannot sign tokens); {@code
 * KubernetesTokenReviewerTest} checks the real reviewer's side of that exchange.
 */
@EnableKubernetesMockClient(crud = true)
@Timeout(90)
class NodeIdentityIT {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final String BASE = "arn:aws:iam::123456789012:role/";

  KubernetesMockServer mock;
  KubernetesClient client;

  @TempDir Path dir;
  private KiamServer server;
  private ManagedChannel channel;
  private final List<String> reviewed = new CopyOnWriteArrayList<>();
  private TlsFiles agentFiles;

  /** The API server's answer for each token: token-a's pod runs on node-a, token-b's on node-b. */
  private final TokenReviewer reviews =
      token -> {
        reviewed.add(token);
        String node = Map.of("token-a", "node-a", "token-b", "node-b").get(token);
        if (node == null) {
          throw new TokenReviewer.Rejected("the token is not valid for audience 'kiam-server'");
        }
        return node;
      };

  @BeforeEach
  void start() throws Exception {
    client.namespaces().resource(namespace("shop", "shop-.*")).create();
    TestPki pki = TestPki.create(dir.resolve("pki"));
    TlsFiles serverTls = pki.issueServer("kiam-server", List.of("127.0.0.1"));
    agentFiles = pki.issueClient("kiam-agent");
    ReloadingTls agentTls = ReloadingTls.load(agentFiles);
    ServerConfig config =
        new ServerConfig(
            new InetSocketAddress("127.0.0.1", 0),
            Optional.empty(),
            serverTls,
            Optional.of(BASE),
            false,
            Optional.empty(),
            Optional.of("eu-west-1"),
            Optional.empty(),
            "bound",
            Duration.ofMinutes(60),
            Duration.ofMinutes(30),
            Duration.ofMillis(300),
            Optional.empty(),
            LogFormat.TEXT,
            "info",
            Duration.ofSeconds(2));
    ArnResolver resolver = new DefaultArnResolver(BASE);
    server =
        KiamServer.builder(config)
            .kubernetesClient(client)
            .arnResolver(resolver)
            .sessionNamer((annotation, suffix) -> "kiam-" + suffix)
            .credentials(usage -> new FakeCredentials())
            .registry(new PrometheusRegistry())
            .recordEvents(false)
            .nodeIdentity(reviews)
            .build();
    server.start();
    server.synced().get(30, TimeUnit.SECONDS);
    channel =
        NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort())
            .sslContext(agentTls.grpcClientContext())
            .build();
    create(pod("web-a", "node-a", "10.9.0.1", "shop-web"));
    create(pod("web-b", "node-b", "10.9.1.1", "shop-web"));
    awaitKnown("10.9.0.1", "token-a");
    awaitKnown("10.9.1.1", "token-b");
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
  }

  private static Pod pod(String name, String node, String ip, String role) {
    return TestPods.pod("shop", name).node(node).ip(ip).phase("Running").role(role).build();
  }

  private void create(Pod pod) {
    client.pods().inNamespace("shop").resource(pod).create();
  }

  /** Waits until the server's cache has the pod: its own node's agent is then served it. */
  private void awaitKnown(String ip, String token) throws InterruptedException {
    long end = System.nanoTime() + WAIT.toNanos();
    while (true) {
      try {
        credentials(token, ip);
        return;
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.NOT_FOUND || System.nanoTime() > end) {
          throw e;
        }
      }
    }
  }

  private static CallCredentials bearer(String token) {
    return new CallCredentials() {
      @Override
      public void applyRequestMetadata(
          RequestInfo requestInfo, Executor appExecutor, MetadataApplier applier) {
        Metadata headers = new Metadata();
        headers.put(NodeIdentityInterceptor.AUTHORIZATION, "Bearer " + token);
        applier.apply(headers);
      }
    };
  }

  private KiamServiceGrpc.KiamServiceBlockingStub stub(String token) {
    KiamServiceGrpc.KiamServiceBlockingStub stub =
        KiamServiceGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
    return token == null ? stub : stub.withCallCredentials(bearer(token));
  }

  private GetPodCredentialsResponse credentials(String token, String ip) {
    return stub(token)
        .getPodCredentials(
            GetPodCredentialsRequest.newBuilder()
                .setIp(ip)
                .setRole("shop-web")
                .setDecisionInResponse(true)
                .build());
  }

  private static Status.Code code(Runnable call) {
    return assertThrows(StatusRuntimeException.class, call::run).getStatus().getCode();
  }

  @Test
  void anAgentGetsItsOwnNodesPodsCredentials() {
    GetPodCredentialsResponse response = credentials("token-a", "10.9.0.1");

    assertEquals("web-a", response.getPod().getName());
    assertTrue(response.hasCredentials());
  }

  @Test
  void anAgentAskingForAPodOnAnotherNodeIsRefusedAndLearnsNothingAboutIt() {
    StatusRuntimeException e =
        assertThrows(StatusRuntimeException.class, () -> credentials("token-a", "10.9.1.1"));

    assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("node-a"), e.getStatus().toString());
    assertFalse(e.getStatus().getDescription().contains("web-b"), e.getStatus().toString());
    assertEquals(
        Status.Code.PERMISSION_DENIED,
        code(
            () ->
                stub("token-a")
                    .getPodRole(GetPodRoleRequest.newBuilder().setIp("10.9.1.1").build())));
  }

  @Test
  void anAgentMayNotWatchAnotherNode() {
    var events =
        stub("token-a").watchNode(WatchNodeRequest.newBuilder().setNodeName("node-b").build());

    assertEquals(Status.Code.PERMISSION_DENIED, code(events::hasNext));
  }

  @Test
  void anAgentWatchesItsOwnNode() {
    var events =
        stub("token-b").watchNode(WatchNodeRequest.newBuilder().setNodeName("node-b").build());

    boolean sawOwnPod = false;
    while (!sawOwnPod) {
      var event = events.next();
      sawOwnPod = event.hasAssigned() && event.getAssigned().getIp().equals("10.9.1.1");
      assertFalse(event.hasAssigned() && event.getAssigned().getIp().equals("10.9.0.1"));
    }
  }

  @Test
  void aCallWithoutATokenOrWithARejectedOneIsUnauthenticated() {
    assertEquals(Status.Code.UNAUTHENTICATED, code(() -> credentials(null, "10.9.0.1")));
    assertEquals(Status.Code.UNAUTHENTICATED, code(() -> credentials("stolen", "10.9.0.1")));
  }

  @Test
  void healthNeedsNoToken() {
    assertEquals(
        "serving", stub(null).getHealth(GetHealthRequest.getDefaultInstance()).getMessage());
  }

  @Test
  void aTlsClientWithoutACertificateIsRefusedBeforeAnyReview() throws Exception {
    ManagedChannel noCert =
        NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort())
            .sslContext(GrpcSslContexts.forClient().trustManager(agentFiles.ca().toFile()).build())
            .build();
    reviewed.clear();
    try {
      StatusRuntimeException e =
          assertThrows(
              StatusRuntimeException.class,
              () ->
                  KiamServiceGrpc.newBlockingStub(noCert)
                      .withDeadlineAfter(20, TimeUnit.SECONDS)
                      .withCallCredentials(bearer("token-a"))
                      .getPodCredentials(
                          GetPodCredentialsRequest.newBuilder().setIp("10.9.0.1").build()));
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
      assertTrue(reviewed.isEmpty(), "a token was reviewed for a connection without a certificate");
    } finally {
      noCert.shutdownNow();
    }
  }
}
