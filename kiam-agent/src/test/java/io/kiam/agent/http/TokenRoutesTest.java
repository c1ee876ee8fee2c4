package io.kiam.agent.http;

import static io.kiam.agent.http.EmbeddedAgent.get;
import static io.kiam.agent.http.EmbeddedAgent.put;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiam.agent.http.EmbeddedAgent.Answer;
import io.kiam.agent.imds.TokenIssuer;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** IMDSv2: agent-issued tokens bound to the caller, TTL rules, and --require-imdsv2. */
class TokenRoutesTest {
  private static final String POD_IP = "10.1.2.3";
  private static final String OTHER_POD_IP = "10.1.2.4";
  private static final String TTL = "X-aws-ec2-metadata-token-ttl-seconds";
  private static final String LISTING = "/latest/meta-data/iam/security-credentials/";

  private final EmbeddedAgent agent = new EmbeddedAgent();

  EmbeddedAgent.Answer token(String ip, String... headers) {
    return put(agent.connect(ip), "/latest/api/token", headers);
  }

  @Test
  void issuesATokenAndEchoesItsTtl() {
    Answer answer = token(POD_IP, TTL + ": 21600");

    assertEquals(200, answer.status());
    assertEquals("21600", answer.header(TTL));
    assertTrue(answer.header("Content-Type").startsWith("text/plain"));
    assertTrue(answer.body().matches("[A-Za-z0-9_-]{40,80}"), answer.body());
    assertEquals(1, agent.counter("kiam_agent_tokens_issued"));
  }

  @Test
  void tokensAreDifferentPerCallerAndExpiry() {
    String first = token(POD_IP, TTL + ": 60").body();
    String other = token(OTHER_POD_IP, TTL + ": 60").body();
    agent.clock.advance(Duration.ofSeconds(1));
    String later = token(POD_IP, TTL + ": 60").body();

    assertNotEquals(first, other);
    assertNotEquals(first, later);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "0", "21601", "-1", "abc", "1.5", "60s", "0x3c", "99999999999"})
  void badTtlIs400(String ttl) {
    Answer answer = token(POD_IP, TTL + ": " + ttl);

    assertEquals(400, answer.status(), "'" + ttl + "'");
    assertNull(answer.header(TTL));
    assertEquals(0, agent.counter("kiam_agent_tokens_issued"));
  }

  @Test
  void missingTtlIs400() {
    Answer answer = token(POD_IP);

    assertEquals(400, answer.status());
    assertEquals(TTL + " header missing\n", answer.body());
  }

  @Test
  void proxiedTokenRequestIs403() {
    Answer answer = token(POD_IP, TTL + ": 60", "X-Forwarded-For: 10.0.0.1");

    assertEquals(403, answer.status());
  }

  @Test
  void getWithAValidTokenIsServed() {
    agent.servers.pod(POD_IP, "shop", "web-1", "shop-reader");
    String token = token(POD_IP, TTL + ": 60").body();

    Answer answer = get(agent.connect(POD_IP), LISTING, "X-aws-ec2-metadata-token: " + token);

    assertEquals(200, answer.status());
    assertEquals("shop-reader", answer.body());
  }

  @Test
  void tokenFromAnotherPodIs401() {
    agent.servers.pod(POD_IP, "shop", "web-1", "shop-reader");
    String stolen = token(OTHER_POD_IP, TTL + ": 60").body();

    Answer answer = get(agent.connect(POD_IP), LISTING, "X-aws-ec2-metadata-token: " + stolen);

    assertEquals(401, answer.status());
    assertTrue(agent.servers.calls().isEmpty(), "no server call for a refused token");
  }

  @Test
  void expiredTokenIs401() {
    agent.servers.pod(POD_IP, "shop", "web-1", "shop-reader");
    String token = token(POD_IP, TTL + ": 5").body();
    agent.clock.advance(Duration.ofSeconds(4));
    assertEquals(
        200, get(agent.connect(POD_IP), LISTING, "X-aws-ec2-metadata-token: " + token).status());

    agent.clock.advance(Duration.ofSeconds(1));
    Answer answer = get(agent.connect(POD_IP), LISTING, "X-aws-ec2-metadata-token: " + token);

    assertEquals(401, answer.status());
    assertEquals("IMDSv2 token expired\n", answer.body());
  }

  @Test
  void forgedAndTamperedTokensAre401() {
    agent.servers.pod(POD_IP, "shop", "web-1", "shop-reader");
    String token = token(POD_IP, TTL + ": 60").body();
    byte[] bytes = Base64.getUrlDecoder().decode(token);
    // the MAC's last byte, and the expiry's lowest byte (extending the lifetime without the key)
    String macTampered = flipLowBit(bytes, bytes.length - 1);
    String longer = flipLowBit(bytes, 8);
    TokenIssuer otherProcess = new TokenIssuer(agent.clock, new java.security.SecureRandom());
    String fromOtherProcess = otherProcess.issue(EmbeddedAgent.address(POD_IP), 60);

    for (String bad :
        List.of(macTampered, longer, fromOtherProcess, "x", "not base64 !", "", token + "A")) {
      Answer answer = get(agent.connect(POD_IP), LISTING, "X-aws-ec2-metadata-token: " + bad);
      assertEquals(401, answer.status(), bad);
    }
    assertEquals(
        200, get(agent.connect(POD_IP), LISTING, "X-aws-ec2-metadata-token: " + token).status());
  }

  /**
   * A token has one spelling: the same bytes written another way (data in the last character's
   * unused bits, or padding) are refused, as an issued token is never written so.
   */
  @Test
  void otherSpellingsOfAValidTokenAre401() {
    agent.servers.pod(POD_IP, "shop", "web-1", "shop-reader");
    String token = token(POD_IP, TTL + ": 60").body();
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    int last = alphabet.indexOf(token.charAt(token.length() - 1));
    String unusedBitSet = token.substring(0, token.length() - 1) + alphabet.charAt(last + 1);
    assertArrayEquals(
        Base64.getUrlDecoder().decode(token), Base64.getUrlDecoder().decode(unusedBitSet));

    for (String other : List.of(unusedBitSet, token + "=")) {
      Answer answer = get(agent.connect(POD_IP), LISTING, "X-aws-ec2-metadata-token: " + other);
      assertEquals(401, answer.status(), other);
    }
  }

  private static String flipLowBit(byte[] token, int index) {
    byte[] copy = token.clone();
    copy[index] ^= 1;
    return Base64.getUrlEncoder().withoutPadding().encodeToString(copy);
  }

  @Test
  void requireImdsv2RefusesGetsWithoutToken() {
    agent.requireImdsv2();
    agent.servers.pod(POD_IP, "shop", "web-1", "shop-reader");

    Answer v1 = get(agent.connect(POD_IP), LISTING);
    String token = token(POD_IP, TTL + ": 60").body();
    Answer v2 = get(agent.connect(POD_IP), LISTING, "X-aws-ec2-metadata-token: " + token);

    assertEquals(401, v1.status());
    assertTrue(v1.body().startsWith("IMDSv2 required"), v1.body());
    assertEquals(200, v2.status());
    assertEquals("shop-reader", v2.body());
  }

  @Test
  void requireImdsv2LeavesTheProbesAlone() {
    agent.requireImdsv2();

    assertEquals(200, get(agent.connect("192.168.0.10"), "/ping").status());
    assertEquals(200, get(agent.connect("192.168.0.10"), "/health").status());
  }

  @Test
  void requireImdsv2AppliesToBlockedPathsToo() {
    agent.requireImdsv2();

    assertEquals(401, get(agent.connect(POD_IP), "/latest/meta-data/iam/info").status());
  }

  @Test
  void tokenRouteTakesOnlyPut() {
    Answer answer = get(agent.connect(POD_IP), "/latest/api/token", TTL + ": 60");

    assertEquals(405, answer.status());
    assertEquals("PUT", answer.header("Allow"));
  }

  @Test
  void tokensWorkOnIpv6Callers() {
    agent.servers.pod("fd00::a:1", "shop", "web-6", "shop-reader");
    String token = token("fd00:0:0:0:0:0:a:1", TTL + ": 60").body();

    Answer answer = get(agent.connect("fd00::a:1"), LISTING, "X-aws-ec2-metadata-token: " + token);

    assertEquals(200, answer.status());
    assertEquals(List.of("podRole fd00::a:1"), agent.servers.calls());
  }
}
