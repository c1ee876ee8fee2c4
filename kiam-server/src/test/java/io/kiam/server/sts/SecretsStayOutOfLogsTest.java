package io.kiam.server.sts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import io.kiam.testkit.sts.AssumeRoleCall;
import io.kiam.testkit.sts.RoleSpec;
import io.kiam.testkit.sts.StsEndpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;

/**
 * Runs the cache through issue, retry and refusal against the testkit STS, capturing every log
 * event of the server's code, and checks that no secret key, session token or external id shows.
 */
@Timeout(30)
class SecretsStayOutOfLogsTest {
  private static final String EXTERNAL_ID = "partner-ext-7f3a9c";

  private final ListAppender<ILoggingEvent> captured = new ListAppender<>();
  private Logger serverLogger;
  private Level previousLevel;
  private StsEndpoint sts;

  @BeforeEach
  void capture() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    serverLogger = context.getLogger("io.kiam.server");
    previousLevel = serverLogger.getLevel();
    serverLogger.setLevel(Level.DEBUG);
    captured.setContext(context);
    captured.start();
    serverLogger.addAppender(captured);
    sts =
        StsEndpoint.builder()
            .role("app")
            .role(RoleSpec.of("partner").requiringExternalId(EXTERNAL_ID))
            .start();
  }

  @AfterEach
  void release() {
    serverLogger.detachAppender(captured);
    serverLogger.setLevel(previousLevel);
    sts.close();
  }

  @Test
  void noSecretTokenOrExternalIdIsEverLogged() throws Exception {
    RoleRequest partner =
        new RoleRequest(sts.roleArn("partner"), "kiam-checkout", Optional.of(EXTERNAL_ID));
    RoleRequest app = new RoleRequest(sts.roleArn("app"), "kiam-kiam", Optional.empty());
    IssuedCredentials issued;
    try (SdkStsGateway gateway = TestkitGateways.gateway(sts);
        CredentialCache cache =
            new CredentialCache(
                gateway,
                r -> true,
                CredentialCacheTest.fastRetries(CredentialCacheConfig.defaults()))) {
      sts.faults().throttleNext(1); // a WARN, then an INFO
      issued = cache.credentials(partner).get(10, TimeUnit.SECONDS);
      sts.faults().denyRole("app"); // an ERROR
      ExecutionException refused =
          assertThrows(
              ExecutionException.class, () -> cache.credentials(app).get(10, TimeUnit.SECONDS));
      assertFalse(refused.getCause().getMessage().contains(EXTERNAL_ID));
    }

    List<String> secrets = new ArrayList<>(List.of(EXTERNAL_ID, issued.secretAccessKey()));
    secrets.add(issued.sessionToken());
    secrets.add(sts.baseCredentials().get(0).secretAccessKey());
    for (AssumeRoleCall call : sts.calls().assumeRoleCalls()) {
      if (call.issuedAccessKeyId() != null) {
        var c = sts.issuedCredentials(call.issuedAccessKeyId()).orElseThrow();
        secrets.add(c.secretAccessKey());
        secrets.add(c.sessionToken());
      }
    }

    List<ILoggingEvent> events = captured.list;
    assertTrue(events.stream().anyMatch(e -> e.getLevel() == Level.WARN), "a retry was logged");
    assertTrue(events.stream().anyMatch(e -> e.getLevel() == Level.ERROR), "a refusal was logged");
    for (ILoggingEvent event : events) {
      String everything = render(event);
      for (String secret : secrets) {
        assertFalse(everything.contains(secret), "a secret leaked into: " + everything);
      }
    }

    ILoggingEvent issuedLine =
        events.stream()
            .filter(e -> e.getFormattedMessage().equals("credentials issued by STS"))
            .findFirst()
            .orElseThrow();
    Map<String, String> kv = keyValues(issuedLine);
    assertEquals(issued.accessKeyId(), kv.get("credentials.access.key"));
    assertEquals("****", kv.get("sts.external.id"));
    assertEquals(sts.roleArn("partner"), kv.get("iam.role.arn"));
    assertEquals("kiam-checkout", kv.get("sts.session.name"));
    assertEquals(Level.INFO, issuedLine.getLevel());
  }

  @Test
  void toStringsShowNeitherSecretsNorExternalIds() {
    IssuedCredentials c =
        new IssuedCredentials(
            "ASIAKEY",
            "SECRET-VALUE",
            "TOKEN-VALUE",
            java.time.Instant.EPOCH,
            java.time.Instant.EPOCH,
            "123456789012",
            "arn:aws:iam::123456789012:role/app");
    RoleRequest r =
        new RoleRequest(
            "arn:aws:iam::123456789012:role/app", "kiam-kiam", Optional.of(EXTERNAL_ID));
    for (String text : List.of(c.toString(), r.toString(), CacheEntry.EMPTY.toString())) {
      assertFalse(text.contains("SECRET-VALUE"), text);
      assertFalse(text.contains("TOKEN-VALUE"), text);
      assertFalse(text.contains(EXTERNAL_ID), text);
    }
    assertTrue(c.toString().contains("ASIAKEY"));
    assertTrue(r.toString().contains("externalId=****"));
  }

  private static String render(ILoggingEvent event) {
    StringBuilder all = new StringBuilder(event.getFormattedMessage());
    keyValues(event).forEach((k, v) -> all.append(' ').append(k).append('=').append(v));
    for (IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) {
      all.append(' ').append(t.getClassName()).append(": ").append(t.getMessage());
    }
    return all.toString();
  }

  private static Map<String, String> keyValues(ILoggingEvent event) {
    List<KeyValuePair> pairs = event.getKeyValuePairs();
    if (pairs == null) {
      return Map.of();
    }
    return pairs.stream()
        .collect(Collectors.toMap(p -> p.key, p -> Objects.toString(p.value), (a, b) -> b));
  }
}
