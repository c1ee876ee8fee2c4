package io.kiam.e2e.metadata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The stand-in must be lenient, so that any trick path an agent passes through shows as a leak. */
class MetadataStandInTest {
  @Test
  void normalisesTheTricksTheAgentIssueLists() {
    String creds = "/latest/meta-data/iam/security-credentials/" + NodeIdentity.ROLE_NAME;
    assertEquals(
        creds,
        MetadataStandIn.normalise(
            "//latest//meta-data/iam/security-credentials//" + NodeIdentity.ROLE_NAME));
    assertEquals(
        "/latest/user-data",
        MetadataStandIn.normalise("/latest/meta-data/iam/..%2F..%2Fuser-data"));
    assertEquals(
        "/latest/meta-data/iam/info",
        MetadataStandIn.normalise("/latest/meta-data/x/%252E%252E/iam/info"));
    assertEquals(
        creds,
        MetadataStandIn.normalise(
            "/latest/meta-data/iam\\security-credentials\\" + NodeIdentity.ROLE_NAME));
    assertEquals(
        "/latest/meta-data/iam/security-credentials/",
        MetadataStandIn.normalise("/latest/meta-data/iam/security-credentials/"));
  }

  @Test
  void answersWithTheNodesMarkedIdentityUnderAnyVersion() {
    assertTrue(
        MetadataStandIn.answer(
                "/2009-04-04/meta-data/iam/security-credentials/" + NodeIdentity.ROLE_NAME)
            .contains(NodeIdentity.ACCESS_KEY_ID));
    assertTrue(
        MetadataStandIn.answer("/latest/meta-data/iam/info").contains(NodeIdentity.LEAK_MARKER));
    assertTrue(MetadataStandIn.answer("/latest/user-data").contains(NodeIdentity.LEAK_MARKER));
    assertNull(MetadataStandIn.answer("/latest/meta-data/nothing-here"));
  }
}
