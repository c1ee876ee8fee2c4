package io.kiam.testkit.sts;

/** An STS error response: HTTP status, fault side, error code and the message a caller sees. */
record StsError(int status, String type, String code, String message) {

  static StsError accessDenied(String callerArn, String roleArn) {
    return accessDenied(callerArn, "sts:AssumeRole", roleArn);
  }

  static StsError accessDenied(String callerArn, String action, String roleArn) {
    return sender(
        403,
        "AccessDenied",
        "User: "
            + callerArn
            + " is not authorized to perform: "
            + action
            + " on resource: "
            + roleArn);
  }

  static StsError validation(String message) {
    return sender(400, "ValidationError", message);
  }

  static StsError throttling() {
    return sender(400, "Throttling", "Rate exceeded");
  }

  static StsError invalidClientTokenId() {
    return sender(
        403, "InvalidClientTokenId", "The security token included in the request is invalid.");
  }

  static StsError signatureDoesNotMatch(String message) {
    return sender(403, "SignatureDoesNotMatch", message);
  }

  static StsError incompleteSignature(String message) {
    return sender(400, "IncompleteSignature", message);
  }

  static StsError expiredToken() {
    return sender(400, "ExpiredToken", "The security token included in the request is expired");
  }

  static StsError missingAuthenticationToken() {
    return sender(403, "MissingAuthenticationToken", "Request is missing Authentication Token");
  }

  static StsError invalidAction(String message) {
    return sender(400, "InvalidAction", message);
  }

  static StsError malformedQueryString(String message) {
    return sender(400, "MalformedQueryString", message);
  }

  static StsError internalFailure() {
    return receiver(
        500,
        "InternalFailure",
        "The request processing has failed because of an unknown error, exception or failure.");
  }

  static StsError serviceUnavailable() {
    return receiver(503, "ServiceUnavailable", "Service is unable to handle request.");
  }

  private static StsError sender(int status, String code, String message) {
    return new StsError(status, "Sender", code, message);
  }

  private static StsError receiver(int status, String code, String message) {
    return new StsError(status, "Receiver", code, message);
  }
}
