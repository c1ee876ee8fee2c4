package io.kiam.testkit.sts;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The parts of an {@code Authorization: AWS4-HMAC-SHA256 ...} header. */
record SigV4Authorization(
    String accessKeyId,
    String date,
    String region,
    String service,
    String terminator,
    List<String> signedHeaders,
    String signature) {

  static final String ALGORITHM = "AWS4-HMAC-SHA256";

  static SigV4Authorization parse(String header) throws StsErrorException {
    String trimmed = header.strip();
    int space = trimmed.indexOf(' ');
    String algorithm = space < 0 ? trimmed : trimmed.substring(0, space);
    if (!algorithm.equals(ALGORITHM)) {
      throw incomplete("Unsupported AWS 'algorithm': '" + algorithm + "'.");
    }
    Map<String, String> fields = new HashMap<>();
    for (String part : trimmed.substring(space + 1).split(",")) {
      int eq = part.indexOf('=');
      if (eq > 0) {
        fields.put(part.substring(0, eq).strip(), part.substring(eq + 1).strip());
      }
    }
    for (String required : List.of("Credential", "SignedHeaders", "Signature")) {
      if (!fields.containsKey(required) || fields.get(required).isEmpty()) {
        throw incomplete("Authorization header requires '" + required + "' parameter.");
      }
    }
    String[] scope = fields.get("Credential").split("/");
    if (scope.length != 5) {
      throw incomplete(
          "Credential should have exactly 5 parts: ACCESS_KEY/DATE/REGION/SERVICE/aws4_request, got '"
              + fields.get("Credential")
              + "'.");
    }
    return new SigV4Authorization(
        scope[0],
        scope[1],
        scope[2],
        scope[3],
        scope[4],
        List.of(fields.get("SignedHeaders").split(";")),
        fields.get("Signature"));
  }

  String credentialScope() {
    return date + "/" + region + "/" + service + "/" + terminator;
  }

  private static StsErrorException incomplete(String message) {
    return new StsErrorException(StsError.incompleteSignature(message));
  }
}
