package io.kiam.server.grpc;

import static io.kiam.server.testing.TestPods.namespace;
import static io.kiam.server.testing.TestPods.pod;
import static io.kiam.server.testing.TestPods.running;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.kiam.common.tls.ReloadingTls;
import io.kiam.common.tls.TlsFiles;
import io.kiam.proto.v1.GetHealthRequest;
import io.kiam.proto.v1.GetPodCredentialsRequest;
import io.kiam.proto.v1.GetPodCredentialsResponse;
import io.kiam.proto.v1.GetPodRoleRequest;
import io.kiam.proto.v1.GetPodRoleResponse;
import io.kiam.proto.v1.KiamServiceGrpc;
import io.kiam.server.events.EventReason;
import io.kiam.server.k8s.NamespaceStore;
import io.kiam.server.k8s.PodStore;
import io.kiam.server.roles.PodRoles;
import io.kiam.server.sts.DefaultArnResolver;
import io.kiam.server.sts.StsFailure;
import io.kiam.server.testing.FakeCredentials;
import io.kiam.server.testing.RecordedEvents;
import io.kiam.testkit.pki.TestPki;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The gRPC service through a real stub over mutual TLS on loopback, with real pod stores. */
@Timeout(30)
class KiamGrpcServiceTest {
  private static final String BASE = "arn:aws:iam::123456789012:role/";

  @TempDir static Path dir;

  private static final AtomicBoolean ready = new AtomicBoolean(true);
  private static final FakeCredentials credentials = new FakeCredentials();
  private static final RecordedEvents events = new RecordedEvents();
  private static final String SERVER_PRINCIPAL =
      "arn:aws:sts::999988887777:assumed-role/kiam-server/i-0123456789abcdef0";
  private static final PrometheusRegistry registry = new PrometheusRegistry();
  private static ExecutorService executor;
  private static PodStore pods;
  private static NamespaceStore namespaces;
  private static ServerHealth health;
  private static GrpcServer server;
  private static ReloadingTls serverTls;
  private static ReloadingTls clientTls;
  private static ReloadingTls foreignTls;
  private static ManagedChannel channel;
  private static KiamServiceGrpc.KiamServiceBlockingStub stub;

  @BeforeAll
  static void start() {
    TestPki pki = TestPki.create(dir.resolve("pki"));
    TlsFiles serverFiles = pki.issueServer("kiam-server", List.of("localhost", "127.0.0.1"));
    TlsFiles clientFiles = pki.issueClient("kiam-agent");
    TlsFiles foreignFiles =
        TestPki.create(dir.resolve("foreign"), "foreign-ca").issueClient("intruder");
    serverTls = ReloadingTls.load(serverFiles);
    clientTls = ReloadingTls.load(clientFiles);
    // The intruder trusts our CA (it wants to talk to us) but its certificate is signed by another.
    foreignTls =
        ReloadingTls.load(new TlsFiles(foreignFiles.cert(), foreignFiles.key(), pki.caCert()));

    executor = Executors.newFixedThreadPool(4);
    pods = new PodStore(executor);
    namespaces = new NamespaceStore();
    put(namespace("shop", "shop-.*"));
    put(namespace("bare", null));
    PodRoles roles =
        new PodRoles(
            new DefaultArnResolver(BASE),
            (annotation, suffix) -> "kiam-" + (annotation == null ? suffix : annotation),
            "kiam",
            namespaces,
            events);
    health = new ServerHealth();
    GrpcMetrics metrics = new GrpcMetrics(registry);
    KiamGrpcService service =
        new KiamGrpcService(pods, roles, credentials, ready::get, Duration.ofMillis(50), metrics);
    server =
        new GrpcServer(
            new InetSocketAddress("127.0.0.1", 0),
            serverTls.grpcServerContext(),
            service,
            health,
            metrics,
            executor);
    server.start();
    channel = channel(clientTls);
    stub = KiamServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    channel.shutdownNow();
    server.shutdown(Duration.ofSeconds(1));
    executor.shutdownNow();
  }

  private static ManagedChannel channel(ReloadingTls tls) {
    return NettyChannelBuilder.forAddress("127.0.0.1", server.port())
        .sslContext(tls.grpcClientContext())
        .build();
  }

  private static void put(Pod pod) {
    pods.put(pods.getKey(pod), pod);
  }

  private static void put(Namespace namespace) {
    namespaces.put(namespaces.getKey(namespace), namespace);
  }

  private static GetPodCredentialsRequest credentialsRequest(String ip, String role) {
    return GetPodCredentialsRequest.newBuilder().setIp(ip).setRole(role).build();
  }

  private static Status failure(Runnable call) {
    return assertThrows(StatusRuntimeException.class, call::run).getStatus();
  }

  @Test
  void issuesCredentialsForThePodsPermittedRole() {
    put(
        pod("shop", "web")
            .ip("10.2.0.1")
            .phase("Running")
            .role("shop-web")
            .annotate("iam.amazonaws.com/session-name", "web")
            .build());

    GetPodCredentialsResponse response =
        stub.getPodCredentials(credentialsRequest("10.2.0.1", "shop-web"));

    assertEquals("shop", response.getPod().getNamespace());
    assertEquals("web", response.getPod().getName());
    assertEquals(BASE + "shop-web", response.getCredentials().getRoleArn());
    assertEquals("123456789012", response.getCredentials().getAccountId());
    assertEquals(FakeCredentials.SECRET, response.getCredentials().getSecretAccessKey());
    assertEquals(FakeCredentials.TOKEN, response.getCredentials().getSessionToken());
    assertTrue(
        response.getCredentials().getExpirationEpochSeconds()
            > response.getCredentials().getLastUpdatedEpochSeconds());
    assertTrue(
        credentials.requested.stream()
            .anyMatch(
                r -> r.roleArn().equals(BASE + "shop-web") && r.sessionName().equals("kiam-web")),
        credentials.requested.toString());
  }

  @Test
  void aCallStillWaitingOnStsIsAnsweredBeforeItsDeadlineNamingSts() {
    put(running("shop", "patient", "10.2.0.40", "shop-patient"));
    credentials.delayAnswers(Duration.ofHours(1)); // STS never answers within the call
    try {
      StatusRuntimeException failure =
          assertThrows(
              StatusRuntimeException.class,
              () ->
                  KiamServiceGrpc.newBlockingStub(channel)
                      .withDeadlineAfter(4, TimeUnit.SECONDS)
                      .getPodCredentials(credentialsRequest("10.2.0.40", "shop-patient")));

      // not DEADLINE_EXCEEDED ("no server answered"): the server answered, and says it is STS
      assertEquals(Status.Code.UNAVAILABLE, failure.getStatus().getCode(), failure::toString);
      assertTrue(failure.getStatus().getDescription().contains("STS"), failure::toString);
      assertEquals(
          StsPending.STS_PENDING,
          failure.getTrailers().get(StsPending.REASON),
          "the trailer the agent tells STS from an unreachable server by");
      assertEquals(
          "-1",
          failure.getTrailers().get(StsPending.RETRY_PUSHBACK),
          "the client's retry policy must leave this answer to the agent's next attempt");
    } finally {
      credentials.delayAnswers(Duration.ZERO);
    }
  }

  @Test
  void returnsNotFoundWhenNoPodHasTheIp() {
    Status status =
        failure(() -> stub.getPodCredentials(credentialsRequest("10.2.0.99", "shop-web")));

    assertEquals(Status.Code.NOT_FOUND, status.getCode());
    assertEquals("no live pod has IP 10.2.0.99", status.getDescription());
  }

  @Test
  void refusesARoleTheNamespaceDoesNotPermitWithTheExplanationAndAnEvent() {
    put(running("shop", "sneaky", "10.2.0.2", "billing-admin"));

    Status status =
        failure(() -> stub.getPodCredentials(credentialsRequest("10.2.0.2", "billing-admin")));

    assertEquals(Status.Code.PERMISSION_DENIED, status.getCode());
    assertEquals(
        "namespace 'shop' permits roles matching 'shop-.*'; pod asks for 'billing-admin'",
        status.getDescription());
    assertTrue(
        events.events.stream()
            .anyMatch(
                e -> e.pod().equals("shop/sneaky") && e.reason() == EventReason.ROLE_FORBIDDEN),
        events.events.toString());
  }

  @Test
  void podWithoutRoleAnnotationIsAFailedPrecondition() {
    put(running("shop", "plain", "10.2.0.3", null));

    Status status =
        failure(() -> stub.getPodCredentials(credentialsRequest("10.2.0.3", "shop-web")));

    assertEquals(Status.Code.FAILED_PRECONDITION, status.getCode());
    assertTrue(status.getDescription().contains("iam.amazonaws.com/role"), status.getDescription());
  }

  @Test
  void twoLivePodsOnOneIpAreAFailedPreconditionNamingBoth() {
    put(running("shop", "one", "10.2.0.4", "shop-web"));
    put(running("shop", "two", "10.2.0.4", "shop-web"));

    Status status =
        failure(() -> stub.getPodCredentials(credentialsRequest("10.2.0.4", "shop-web")));

    assertEquals(Status.Code.FAILED_PRECONDITION, status.getCode());
    assertTrue(
        status.getDescription().contains("shop/one")
            && status.getDescription().contains("shop/two"),
        status.getDescription());
  }

  @Test
  void malformedRequestsAreInvalidArguments() {
    assertEquals(
        Status.Code.INVALID_ARGUMENT,
        failure(() -> stub.getPodCredentials(credentialsRequest("not-an-ip", "shop-web")))
            .getCode());
    assertEquals(
        Status.Code.INVALID_ARGUMENT,
        failure(() -> stub.getPodCredentials(credentialsRequest("10.2.0.1", ""))).getCode());
    assertEquals(
        Status.Code.INVALID_ARGUMENT,
        failure(() -> stub.getPodCredentials(credentialsRequest("10.2.0.1", "a b"))).getCode());
    assertEquals(
        Status.Code.INVALID_ARGUMENT,
        failure(() -> stub.getPodRole(GetPodRoleRequest.newBuilder().setIp("10.2.0.256").build()))
            .getCode());
  }

  @Test
  void stsFailuresMapToTheirCodesWithoutSecrets() {
    put(running("shop", "denied", "10.2.0.5", "shop-denied"));
    put(running("shop", "invalid", "10.2.0.6", "shop-invalid"));
    put(running("shop", "down", "10.2.0.7", "shop-down"));
    credentials.failRole(
        BASE + "shop-denied",
        new StsFailure(
            StsFailure.Kind.ACCESS_DENIED,
            "AccessDenied",
            "STS refused AssumeRole of "
                + BASE
                + "shop-denied: AccessDenied: User: "
                + SERVER_PRINCIPAL
                + " is not authorized to perform: sts:AssumeRole",
            null));
    credentials.failRole(
        BASE + "shop-invalid",
        new StsFailure(
            StsFailure.Kind.INVALID, "DurationSeconds exceeds the MaxSessionDuration", null));
    credentials.failRole(
        BASE + "shop-down", new StsFailure(StsFailure.Kind.UNAVAILABLE, "throttled", null));

    Status denied =
        failure(() -> stub.getPodCredentials(credentialsRequest("10.2.0.5", "shop-denied")));
    Status invalid =
        failure(() -> stub.getPodCredentials(credentialsRequest("10.2.0.6", "shop-invalid")));
    Status down =
        failure(() -> stub.getPodCredentials(credentialsRequest("10.2.0.7", "shop-down")));

    assertEquals(Status.Code.PERMISSION_DENIED, denied.getCode());
    assertTrue(denied.getDescription().startsWith("STS refused"), denied.getDescription());
    assertTrue(denied.getDescription().contains("(AccessDenied)"), denied.getDescription());
    assertTrue(denied.getDescription().contains("trust policy"), denied.getDescription());
    assertEquals(Status.Code.FAILED_PRECONDITION, invalid.getCode());
    assertEquals(Status.Code.UNAVAILABLE, down.getCode());
    // STS's own outage carries the trailer too: the agent says "STS", not "no server reachable"
    StatusRuntimeException downAgain =
        assertThrows(
            StatusRuntimeException.class,
            () -> stub.getPodCredentials(credentialsRequest("10.2.0.7", "shop-down")));
    assertEquals(StsPending.STS_PENDING, downAgain.getTrailers().get(StsPending.REASON));
    StatusRuntimeException deniedAgain =
        assertThrows(
            StatusRuntimeException.class,
            () -> stub.getPodCredentials(credentialsRequest("10.2.0.5", "shop-denied")));
    assertTrue(
        deniedAgain.getTrailers() == null
            || deniedAgain.getTrailers().get(StsPending.REASON) == null,
        "a refusal is not an outage");
    for (Status s : List.of(denied, invalid, down)) {
      assertFalse(
          s.getDescription().contains(FakeCredentials.SECRET)
              || s.getDescription().contains(FakeCredentials.TOKEN));
      // The pod's owner learns what to fix, not the server's principal or STS's wording.
      assertFalse(s.getDescription().contains("999988887777"), s.getDescription());
      assertFalse(s.getDescription().contains("assumed-role"), s.getDescription());
      assertFalse(s.getDescription().contains("MaxSessionDuration"), s.getDescription());
      assertFalse(s.getDescription().contains("throttled"), s.getDescription());
    }
    assertTrue(
        events.events.stream()
            .anyMatch(e -> e.pod().equals("shop/denied") && e.message().contains(SERVER_PRINCIPAL)),
        "the Event keeps STS's full answer: " + events.events);
    assertTrue(
        events.events.stream()
            .anyMatch(
                e -> e.pod().equals("shop/denied") && e.reason() == EventReason.CREDENTIAL_ERROR),
        events.events.toString());
  }

  @Test
  void answersUnavailableUntilTheCachesHaveSynced() {
    put(running("shop", "early", "10.2.0.8", "shop-web"));
    ready.set(false);
    try {
      assertEquals(
          Status.Code.UNAVAILABLE,
          failure(() -> stub.getPodCredentials(credentialsRequest("10.2.0.8", "shop-web")))
              .getCode());
      assertFalse(stub.getHealth(GetHealthRequest.getDefaultInstance()).getServing());
    } finally {
      ready.set(true);
    }
    assertTrue(stub.getHealth(GetHealthRequest.getDefaultInstance()).getServing());
    assertEquals(
        "early",
        stub.getPodCredentials(credentialsRequest("10.2.0.8", "shop-web")).getPod().getName());
  }

  @Test
  void podRoleAnswersTheAnnotationAndItsArn() {
    put(running("shop", "role-owner", "10.2.0.9", "team/shop-web"));
    put(running("shop", "no-role", "10.2.0.10", null));

    GetPodRoleResponse response =
        stub.getPodRole(GetPodRoleRequest.newBuilder().setIp("10.2.0.9").build());

    assertEquals("team/shop-web", response.getRole());
    assertEquals(BASE + "team/shop-web", response.getRoleArn());
    assertEquals("role-owner", response.getPod().getName());
    assertEquals(
        Status.Code.FAILED_PRECONDITION,
        failure(() -> stub.getPodRole(GetPodRoleRequest.newBuilder().setIp("10.2.0.10").build()))
            .getCode());
  }

  @Test
  void healthServiceSaysNotServingUntilToldThenServing() {
    HealthGrpc.HealthBlockingStub healthStub =
        HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    // Only this test turns the shared server's health to SERVING.
    assertEquals(
        ServingStatus.NOT_SERVING,
        healthStub.check(HealthCheckRequest.getDefaultInstance()).getStatus());
    assertEquals(
        ServingStatus.NOT_SERVING,
        healthStub
            .check(HealthCheckRequest.newBuilder().setService(KiamServiceGrpc.SERVICE_NAME).build())
            .getStatus());

    health.serving();

    assertEquals(
        ServingStatus.SERVING,
        healthStub.check(HealthCheckRequest.getDefaultInstance()).getStatus());
    assertEquals(
        ServingStatus.SERVING,
        healthStub
            .check(HealthCheckRequest.newBuilder().setService(KiamServiceGrpc.SERVICE_NAME).build())
            .getStatus());
  }

  @Test
  void clientCertificateFromAnotherCaIsRefused() {
    ManagedChannel intruder = channel(foreignTls);
    try {
      Status status =
          failure(
              () ->
                  KiamServiceGrpc.newBlockingStub(intruder)
                      .withDeadlineAfter(10, TimeUnit.SECONDS)
                      .getHealth(GetHealthRequest.getDefaultInstance()));
      assertEquals(Status.Code.UNAVAILABLE, status.getCode());
    } finally {
      intruder.shutdownNow();
    }
  }

  @Test
  void plaintextClientIsRefused() {
    ManagedChannel plaintext =
        NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    try {
      Status status =
          failure(
              () ->
                  KiamServiceGrpc.newBlockingStub(plaintext)
                      .withDeadlineAfter(10, TimeUnit.SECONDS)
                      .getHealth(GetHealthRequest.getDefaultInstance()));
      assertTrue(
          status.getCode() == Status.Code.UNAVAILABLE || status.getCode() == Status.Code.INTERNAL,
          status.toString());
    } finally {
      plaintext.shutdownNow();
    }
  }

  @Test
  void countsCallsByMethodAndCode() {
    failure(() -> stub.getPodCredentials(credentialsRequest("10.2.0.98", "shop-web")));

    double notFound =
        registry.scrape().stream()
            .filter(m -> m.getMetadata().getPrometheusName().equals("kiam_server_grpc_calls"))
            .map(CounterSnapshot.class::cast)
            .flatMap(c -> c.getDataPoints().stream())
            .filter(
                d ->
                    "GetPodCredentials".equals(d.getLabels().get("method"))
                        && "NOT_FOUND".equals(d.getLabels().get("code")))
            .mapToDouble(CounterSnapshot.CounterDataPointSnapshot::getValue)
            .sum();
    assertTrue(notFound >= 1, "NOT_FOUND calls counted: " + notFound);
    Optional<?> decisions =
        registry.scrape().stream()
            .filter(m -> m.getMetadata().getPrometheusName().equals("kiam_server_decisions"))
            .findFirst();
    assertTrue(decisions.isPresent());
  }
}
