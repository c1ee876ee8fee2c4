package io.kiam.agent.imds;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiam.agent.client.IssuedCredentials;
import io.kiam.agent.client.PodCredentials;
import io.kiam.agent.client.PodRef;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Credentials answers are built once per credentials version and never outlive it. */
class CredentialRepliesTest {
  private static final String IP = "10.9.0.7";
  private static final PodRef POD = new PodRef("shop", "cart-1");

  private static IssuedCredentials issued(String key) {
    return new IssuedCredentials(
        key,
        "secret-" + key,
        "token-" + key,
        Instant.parse("2030-01-01T01:00:00Z"),
        Instant.parse("2030-01-01T00:00:00Z"),
        "123456789012",
        "arn:aws:iam::123456789012:role/shop-cart");
  }

  @Test
  void theSameCredentialsAreAnsweredWithTheReplyBuiltTheFirstTime() {
    CredentialReplies replies = new CredentialReplies();
    PodCredentials first = new PodCredentials(POD, issued("ASIAONE"));

    Reply built = replies.reply(IP, first, "shop-cart", false);

    assertSame(built, replies.reply(IP, first, "shop-cart", false));
    assertArrayEquals(
        CredentialsJson.write(first.credentials(), false), built.body(), "same bytes as EC2's");
    assertEquals("ASIAONE", built.accessKey());
    assertEquals(POD, built.pod());
    assertEquals("shop-cart", built.role());
  }

  @Test
  void refreshedCredentialsAreAnsweredAtOnce() {
    CredentialReplies replies = new CredentialReplies();
    Reply old = replies.reply(IP, new PodCredentials(POD, issued("ASIAOLD")), "shop-cart", false);

    Reply fresh = replies.reply(IP, new PodCredentials(POD, issued("ASIANEW")), "shop-cart", false);

    assertNotSame(old, fresh);
    String body = new String(fresh.body(), StandardCharsets.UTF_8);
    assertTrue(body.contains("ASIANEW") && !body.contains("ASIAOLD"), body);
  }

  @Test
  void anotherPodAtTheIpGetsItsOwnReply() {
    CredentialReplies replies = new CredentialReplies();
    IssuedCredentials same = issued("ASIASAME");
    replies.reply(IP, new PodCredentials(POD, same), "shop-cart", false);

    Reply other =
        replies.reply(
            IP, new PodCredentials(new PodRef("shop", "cart-2"), same), "shop-cart", false);

    assertEquals("cart-2", other.pod().name());
  }

  @Test
  void theExtendedShapeCarriesTheAccountAndThePlainOneDoesNot() {
    CredentialReplies replies = new CredentialReplies();
    PodCredentials issued = new PodCredentials(POD, issued("ASIAEXT"));

    String plain =
        new String(replies.reply(IP, issued, "shop-cart", false).body(), StandardCharsets.UTF_8);
    String extended =
        new String(replies.reply(IP, issued, "shop-cart", true).body(), StandardCharsets.UTF_8);

    assertTrue(extended.contains("\"AccountId\" : \"123456789012\""), extended);
    assertTrue(!plain.contains("AccountId"), plain);
    assertEquals(1, replies.size());
  }
}
