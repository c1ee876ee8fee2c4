package io.kiam.server;

import static io.kiam.server.testing.TestPods.namespace;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Pod;
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
import io.kiam.proto.v1.GetPodCredentialsRequest;
import io.kiam.proto.v1.GetPodCredentialsResponse;
import io.kiam.proto.v1.GetPodRoleRequest;
import io.kiam.proto.v1.GetPodRoleResponse;
import io.kiam.proto.v1.IpAssignment;
import io.kiam.proto.v1.KiamServiceGrpc;
import io.kiam.proto.v1.NodeEvent;
import io.kiam.proto.v1.PodDecision;
import io.kiam.proto.v1.RefusalCode;
import io.kiam.proto.v1.WatchNodeRequest;
import io.kiam.server.k8s.KiamAnnotations;
import io.kiam.server.sts.CredentialCache;
import io.kiam.server.sts.CredentialCacheConfig;
import io.kiam.server.sts.DefaultArnResolver;
import io.kiam.server.sts.SdkStsGateway;
import io.kiam.server.sts.StsGateways;
import io.kiam.server.testing.MockApiCleanup;
import io.kiam.server.testing.TestPods;
import io.kiam.testkit.pki.TestPki;
import io.kiam.testkit.sts.StsEndpoint;
import io.kiam.testkit.time.MutableClock;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetSocketAddress;
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
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * WatchNode and the one-call cold path end to end: real informers against the mock API server in
 * CRUD mode, the real credential cache asking the testkit STS through the AWS SDK, and an agent's
 * calls over mutual TLS. Every wait is on a delivered event, never on time.
 */
@EnableKubernetesMockClient(crud = true)
@Timeout(90)
class NodeStreamIT {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final String NODE = "node-a";

  KubernetesMockServer mock;
  KubernetesClient client;

  @TempDir Path dir;
  private final MutableClock clock = new MutableClock();
  private StsEndpoint sts;
  private KiamServer server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    sts =
        StsEndpoint.builder()
            .clock(clock)
            .maxClockSkew(Duration.ofHours(3))
            .role("shop-web")
            .role("shop-db")
            .start();
    client.namespaces().resource(namespace("shop", "shop-.*")).create();
    TestPki pki = TestPki.create(dir.resolve("pki"));
    TlsFiles serverTls = pki.issueServer("kiam-server", List.of("127.0.0.1"));
    ReloadingTls agentTls = ReloadingTls.load(pki.issueClient("kiam-agent"));
    String base = "arn:aws:iam::" + sts.account() + ":role/";
    ServerConfig config =
        new ServerConfig(
            new InetSocketAddress("127.0.0.1", 0),
            Optional.empty(),
            serverTls,
            Optional.of(base),
            false,
            Optional.empty(),
            Optional.of("eu-west-1"),
            Optional.of(sts.uri()),
            "stream",
            Duration.ofMinutes(60),
            Duration.ofMinutes(30),
            Duration.ofMillis(300),
            Optional.empty(),
            LogFormat.TEXT,
            "info",
            Duration.ofSeconds(2));
    var keys = sts.baseCredentials().get(0);
    SdkStsGateway gateway =
        StsGateways.create(
            "eu-west-1",
            Optional.of(sts.uri()),
            Optional.empty(),
            StsGateways.DEFAULT_CALL_TIMEOUT,
            () ->
                StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(keys.accessKeyId(), keys.secretAccessKey())),
            clock);
    CredentialCacheConfig cacheConfig =
        CredentialCacheConfig.defaults()
            .withSession(Duration.ofMinutes(60), Duration.ofMinutes(30))
            .withClock(clock);
    server =
        KiamServer.builder(config)
            .kubernetesClient(client)
            .arnResolver(new DefaultArnResolver(base))
            .sessionNamer((annotation, suffix) -> "kiam-" + suffix)
            .credentials(usage -> new CredentialCache(gateway, usage, cacheConfig))
            .registry(new PrometheusRegistry())
            .recordEvents(false)
            .clock(clock)
            .closeLast(gateway)
            .build();
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
  }

  private static Pod pod(String name, String node, String ip, String role) {
    return TestPods.pod("shop", name).node(node).ip(ip).phase("Running").role(role).build();
  }

  private void create(Pod pod) {
    client.pods().inNamespace("shop").resource(pod).create();
  }

  private StreamRecorder watch(String node, int heartbeatMillis) throws InterruptedException {
    StreamRecorder stream = new StreamRecorder();
    KiamServiceGrpc.newStub(channel)
        .watchNode(
            WatchNodeRequest.newBuilder()
                .setNodeName(node)
                .setHeartbeatIntervalMillis(heartbeatMillis)
                .build(),
            stream);
    stream.await("the snapshot", StreamRecorder::snapshotComplete, WAIT);
    return stream;
  }

  private KiamServiceGrpc.KiamServiceBlockingStub stub() {
    return KiamServiceGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
  }

  private static boolean permittedWithCredentials(IpAssignment a, String uid) {
    return a != null
        && a.getPodUid().equals(uid)
        && a.getDecision().hasPermitted()
        && a.hasCredentials();
  }

  private String uid(String name) {
    return client.pods().inNamespace("shop").withName(name).get().getMetadata().getUid();
  }

  @Test
  void snapshotHoldsTheNodesPodsWithTheirDecisionsAndCurrentCredentials() throws Exception {
    create(pod("web", NODE, "10.7.0.1", "shop-web"));
    create(pod("admin", NODE, "10.7.0.2", "bank-admin"));
    create(pod("plain", NODE, "10.7.0.3", null));
    create(pod("elsewhere", "node-b", "10.7.1.1", "shop-web"));
    // Whether the informer delivers them before or after the subscription, the stream shows them.
    StreamRecorder stream = new StreamRecorder();
    KiamServiceGrpc.newStub(channel)
        .watchNode(WatchNodeRequest.newBuilder().setNodeName(NODE).build(), stream);
    String web = uid("web");
    stream.await(
        "the permitted pod with credentials",
        s ->
            s.snapshotComplete()
                && permittedWithCredentials(s.at("10.7.0.1"), web)
                && s.view().size() == 3,
        WAIT);

    IpAssignment assigned = stream.at("10.7.0.1");
    assertEquals("shop", assigned.getPod().getNamespace());
    assertEquals("web", assigned.getPod().getName());
    assertEquals("shop-web", assigned.getDecision().getPermitted().getRole());
    assertEquals("shop-web", assigned.getDecision().getPermitted().getRoleName());
    assertEquals(sts.roleArn("shop-web"), assigned.getDecision().getPermitted().getRoleArn());
    var issued = sts.issuedCredentials(assigned.getCredentials().getAccessKeyId()).orElseThrow();
    assertEquals(issued.secretAccessKey(), assigned.getCredentials().getSecretAccessKey());
    assertEquals(issued.sessionToken(), assigned.getCredentials().getSessionToken());
    assertTrue(assigned.getCredentials().getExpirationEpochSeconds() > 0);

    PodDecision admin = stream.at("10.7.0.2").getDecision();
    assertEquals(RefusalCode.REFUSAL_CODE_FORBIDDEN, admin.getRefused().getCode());
    assertTrue(admin.getRefused().getReason().contains("shop-.*"), admin.toString());
    assertFalse(stream.at("10.7.0.2").hasCredentials());
    assertEquals(
        RefusalCode.REFUSAL_CODE_NO_ROLE,
        stream.at("10.7.0.3").getDecision().getRefused().getCode());
    assertEquals(null, stream.at("10.7.1.1"), "another node's pod is not in this stream");
  }

  @Test
  void eachKindOfPodAndNamespaceEventChangesTheStream() throws Exception {
    create(pod("web", NODE, "10.7.0.1", "shop-web"));
    StreamRecorder stream = watch(NODE, 0);
    String web = uid("web");
    stream.await("web", s -> permittedWithCredentials(s.at("10.7.0.1"), web), WAIT);

    create(pod("db", NODE, "10.7.0.2", "shop-db"));
    String db = uid("db");
    stream.await("a created pod", s -> permittedWithCredentials(s.at("10.7.0.2"), db), WAIT);

    client
        .pods()
        .inNamespace("shop")
        .withName("db")
        .edit(
            p -> {
              p.getMetadata().getAnnotations().put(KiamAnnotations.ROLE, "bank-admin");
              return p;
            });
    stream.await(
        "the role annotation change",
        s ->
            s.at("10.7.0.2").getDecision().hasRefused()
                && s.at("10.7.0.2").getDecision().getRefused().getRole().equals("bank-admin"),
        WAIT);
    assertFalse(stream.at("10.7.0.2").hasCredentials(), "refused: the old credentials are gone");

    client
        .namespaces()
        .withName("shop")
        .edit(
            n -> {
              n.getMetadata().getAnnotations().put(KiamAnnotations.PERMITTED, "bank-.*");
              return n;
            });
    stream.await(
        "the namespace's new expression",
        s ->
            s.at("10.7.0.1").getDecision().hasRefused()
                && s.at("10.7.0.2").getDecision().hasPermitted(),
        WAIT);

    client
        .pods()
        .inNamespace("shop")
        .withName("db")
        .edit(
            p -> {
              p.getStatus().setPhase("Succeeded");
              return p;
            });
    stream.await("the terminated pod's removal", s -> s.at("10.7.0.2") == null, WAIT);

    client.pods().inNamespace("shop").withName("web").delete();
    stream.await("the deleted pod's removal", s -> s.at("10.7.0.1") == null, WAIT);
    NodeEvent last = stream.events().get(stream.events().size() - 1);
    assertEquals(web, last.getRemoved().getPodUid());
  }

  @Test
  void ipReuseNeverLeavesTheOldPodsRoleOnTheIp() throws Exception {
    create(pod("old", NODE, "10.7.0.9", "shop-web"));
    StreamRecorder stream = watch(NODE, 0);
    String old = uid("old");
    stream.await("the old pod", s -> permittedWithCredentials(s.at("10.7.0.9"), old), WAIT);

    client.pods().inNamespace("shop").withName("old").delete();
    create(pod("new", NODE, "10.7.0.9", "shop-db"));
    String fresh = uid("new");
    stream.await("the new pod", s -> permittedWithCredentials(s.at("10.7.0.9"), fresh), WAIT);

    List<NodeEvent> events = stream.events();
    int leftAt = -1;
    for (int i = 0; i < events.size(); i++) {
      NodeEvent e = events.get(i);
      boolean aboutIp =
          e.hasRemoved()
              ? e.getRemoved().getIp().equals("10.7.0.9")
              : e.hasAssigned() && e.getAssigned().getIp().equals("10.7.0.9");
      if (!aboutIp) {
        continue;
      }
      boolean old_ = e.hasAssigned() && e.getAssigned().getPodUid().equals(old);
      if (!old_ && leftAt < 0) {
        leftAt = i;
      }
      if (leftAt >= 0) {
        assertFalse(old_, "the old pod's role came back on the IP: " + events);
      }
    }
    assertTrue(leftAt >= 0);
    assertEquals(
        sts.roleArn("shop-db"), stream.at("10.7.0.9").getDecision().getPermitted().getRoleArn());
  }

  @Test
  void aCredentialRefreshReachesTheStream() throws Exception {
    create(pod("web", NODE, "10.7.0.1", "shop-web"));
    StreamRecorder stream = watch(NODE, 0);
    String web = uid("web");
    stream.await("web", s -> permittedWithCredentials(s.at("10.7.0.1"), web), WAIT);
    String first = stream.at("10.7.0.1").getCredentials().getAccessKeyId();

    clock.advance(Duration.ofMinutes(26)); // past the refresh point of one-hour credentials
    // The next request for the role notices the refresh is due, as the timer would.
    stub()
        .getPodCredentials(
            GetPodCredentialsRequest.newBuilder().setIp("10.7.0.1").setRole("shop-web").build());
    stream.await(
        "the refreshed credentials",
        s -> !s.at("10.7.0.1").getCredentials().getAccessKeyId().equals(first),
        WAIT);
    assertNotEquals(first, stream.at("10.7.0.1").getCredentials().getAccessKeyId());
    assertTrue(
        sts.issuedCredentials(stream.at("10.7.0.1").getCredentials().getAccessKeyId()).isPresent());
  }

  @Test
  void heartbeatsArriveWhileNothingChanges() throws Exception {
    StreamRecorder stream = watch(NODE, 200);
    stream.await("two heartbeats", s -> s.heartbeats() >= 2, WAIT);
  }

  @Test
  void aStreamWithoutANodeNameIsRefusedAsInvalid() throws Exception {
    StreamRecorder stream = new StreamRecorder();
    KiamServiceGrpc.newStub(channel).watchNode(WatchNodeRequest.getDefaultInstance(), stream);
    stream.await("the refusal", s -> s.error() != null, WAIT);
    assertEquals(Status.Code.INVALID_ARGUMENT, Status.fromThrowable(stream.error()).getCode());
  }

  @Test
  void anOldAgentsTwoCallsStillWork() throws Exception {
    create(pod("web", NODE, "10.7.0.1", "shop-web"));
    create(pod("admin", NODE, "10.7.0.2", "bank-admin"));

    GetPodRoleResponse role =
        stub().getPodRole(GetPodRoleRequest.newBuilder().setIp("10.7.0.1").build());
    assertEquals("shop-web", role.getRole());
    GetPodCredentialsResponse credentials =
        stub()
            .getPodCredentials(
                GetPodCredentialsRequest.newBuilder()
                    .setIp("10.7.0.1")
                    .setRole(role.getRole())
                    .build());
    assertTrue(sts.issuedCredentials(credentials.getCredentials().getAccessKeyId()).isPresent());

    StatusRuntimeException refused =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                stub()
                    .getPodCredentials(
                        GetPodCredentialsRequest.newBuilder()
                            .setIp("10.7.0.2")
                            .setRole("bank-admin")
                            .build()));
    assertEquals(Status.Code.PERMISSION_DENIED, refused.getStatus().getCode());
  }

  @Test
  void theColdPathAnswersTheDecisionAndTheCredentialsInOneCall() throws Exception {
    create(pod("web", NODE, "10.7.0.1", "shop-web"));
    create(pod("admin", NODE, "10.7.0.2", "bank-admin"));
    create(pod("plain", NODE, "10.7.0.3", null));

    GetPodCredentialsResponse permitted = coldPath("10.7.0.1", "");
    assertEquals(uid("web"), permitted.getPodUid());
    assertEquals("shop-web", permitted.getDecision().getPermitted().getRoleName());
    assertTrue(sts.issuedCredentials(permitted.getCredentials().getAccessKeyId()).isPresent());
    assertTrue(coldPath("10.7.0.1", "shop-web").hasCredentials());

    GetPodCredentialsResponse forbidden = coldPath("10.7.0.2", "");
    assertEquals(
        RefusalCode.REFUSAL_CODE_FORBIDDEN, forbidden.getDecision().getRefused().getCode());
    assertFalse(forbidden.hasCredentials());
    assertEquals(
        RefusalCode.REFUSAL_CODE_ROLE_MISMATCH,
        coldPath("10.7.0.1", "shop-db").getDecision().getRefused().getCode());
    assertEquals(
        RefusalCode.REFUSAL_CODE_NO_ROLE,
        coldPath("10.7.0.3", "").getDecision().getRefused().getCode());

    StatusRuntimeException unknown =
        assertThrows(StatusRuntimeException.class, () -> coldPath("10.7.9.9", ""));
    assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode(), "an error, not a refusal");
  }

  private GetPodCredentialsResponse coldPath(String ip, String role) {
    return stub()
        .getPodCredentials(
            GetPodCredentialsRequest.newBuilder()
                .setIp(ip)
                .setRole(role)
                .setDecisionInResponse(true)
                .build());
  }
}
