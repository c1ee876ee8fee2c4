package io.kiam.agent.imds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The canonical form of paths, on its own. */
class PathNormalizerTest {
  @ParameterizedTest
  @CsvSource({
    "/, /",
    "//, /",
    "/latest, /latest",
    "/latest/, /latest/",
    "//latest//meta-data///, /latest/meta-data/",
    "/a/./b, /a/b",
    "/a/b/., /a/b/",
    "/a/b/.., /a/",
    "/a/b/../c, /a/c",
    "/a/.., /",
    "/%61/%2e/b, /a/b",
    "/a/%2E%2E/b, /b",
    "/a/b?c=/../../.., /a/b",
    "/A/B, /A/B",
    "/a-b_c~d.e!$&'()*+=:@, /a-b_c~d.e!$&'()*+=:@",
    "/latest/meta-data/iam/security-credentials/Token, /latest/meta-data/iam/security-credentials/Token",
    "/latest/meta-data/iam/security-credentials-extended//IAM, /latest/meta-data/iam/security-credentials-extended/IAM",
    "/a/.b/c../..d, /a/.b/c../..d",
  })
  void normalises(String raw, String expected) throws BadPathException {
    assertEquals(expected, PathNormalizer.normalize(raw).toString());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "a/b",
        "/..",
        "/a/../..",
        "/%2e%2e",
        "/a%2fb",
        "/a%5cb",
        "/a\\b",
        "/a%25",
        "/a%",
        "/a%4",
        "/a%g0",
        "/a%00",
        "/a%7f",
        "/a%20b",
        "/a b",
        "/a\tb",
        "/a%0a",
        "/é",
        "/a%c3%a9",
        "/a#b",
        "/a%23b",
        "/a%3fb",
        "/a\"b",
        "/a<b>",
        "/a{b}",
        "/a|b",
        "/a^b",
        "/a`b",
        "/a[b]",
        "/a;b",
        "/a%3bb",
        "/a%3Bb",
        "/..;/a",
        "/a/..;/b",
        "/a/...",
        "/a/..../b",
        "/a/%2e%2e%2e",
        "/LATEST/meta-data",
        "/latest/Meta-Data",
        "/latest/meta-data/IAM/info",
        "/latest/meta-data/Iam/info",
        "/latest/User-Data",
        "/latest/API/token",
        "/latest/api/TOKEN",
        "/latest/dynamic/Instance-Identity/signature",
        "/latest/meta-data/iam/Security-Credentials/",
        "/latest/meta-data/placement/IAM",
        "/latest/meta-data/iam/security-credentials/x/IAM",
      })
  void refuses(String raw) {
    assertThrows(BadPathException.class, () -> PathNormalizer.normalize(raw));
  }
}
