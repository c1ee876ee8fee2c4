package io.kiam.server.sts;

import java.util.Set;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;

/** Turns the SDK's exceptions into {@link StsFailure}s, keeping STS's code and message. */
final class StsErrors {
  private static final Set<String> RETRYABLE =
      Set.of(
          "Throttling",
          "ThrottlingException",
          "RequestLimitExceeded",
          "InternalFailure",
          "InternalError",
          "ServiceUnavailable",
          "RequestTimeout",
          "IDPCommunicationError",
          // kiam-server's own identity refused (still, after one renewal): not the pod's fault,
          // and another server, or this one a little later, may do better.
          "ExpiredToken",
          "ExpiredTokenException",
          "InvalidClientTokenId",
          "RequestExpired",
          "SignatureDoesNotMatch",
          "IncompleteSignature",
          "MissingAuthenticationToken",
          "UnrecognizedClientException");

  private StsErrors() {}

  /** What --session-tags needs beside sts:AssumeRole. */
  private static final String TAGGED_TRUST =
      "sts:TagSession and sts:SetSourceIdentity (kiam-server runs with --session-tags)";

  static StsFailure map(RoleRequest request, SdkException e) {
    String role = request.roleArn();
    if (!(e instanceof AwsServiceException service) || service.awsErrorDetails() == null) {
      // No answer from STS: timeout, connection refused, DNS, or no own credentials at all.
      return new StsFailure(
          StsFailure.Kind.UNAVAILABLE,
          null,
          "could not get an answer from STS for AssumeRole of " + role + ": " + e.getMessage(),
          e);
    }
    String code = String.valueOf(service.awsErrorDetails().errorCode());
    String stsMessage = service.awsErrorDetails().errorMessage();
    String said = code + ": " + stsMessage + " (request id " + service.requestId() + ")";
    if (RETRYABLE.contains(code) || service.statusCode() >= 500) {
      return new StsFailure(
          StsFailure.Kind.UNAVAILABLE,
          code,
          "STS could not serve AssumeRole of " + role + ": " + said,
          e);
    }
    return switch (code) {
      case "AccessDenied", "AccessDeniedException" ->
          new StsFailure(
              StsFailure.Kind.ACCESS_DENIED,
              code,
              "STS refused AssumeRole of "
                  + role
                  + ": "
                  + said
                  + "; the role's trust policy must allow kiam-server's identity"
                  + (request.externalId().isPresent() ? " with this external id" : "")
                  + (request.sessionTags().isEmpty() ? "" : " and " + TAGGED_TRUST),
              request.sessionTags().isEmpty()
                  ? null
                  : "the role's trust policy must allow kiam-server sts:AssumeRole and "
                      + TAGGED_TRUST,
              e);
      case "RegionDisabledException" ->
          new StsFailure(
              StsFailure.Kind.INVALID,
              code,
              "STS is not activated in this region for the role's account: "
                  + said
                  + "; activate it in IAM account settings or point --region/--sts-endpoint"
                  + " elsewhere",
              e);
      default ->
          new StsFailure(
              StsFailure.Kind.INVALID, code, "STS rejected AssumeRole of " + role + ": " + said, e);
    };
  }
}
