package io.kiam.testkit.sts;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * Answers AssumeRole: applies planned faults, validates the parameters, checks the role table
 * (existence, external id, allowed callers, sts:TagSession and sts:SetSourceIdentity in the trust,
 * session duration limits), issues credentials and records the call.
 */
final class AssumeRoleAction {
  private static final Logger log = LoggerFactory.getLogger(AssumeRoleAction.class);
  private static final int ROLE_CHAINING_LIMIT_SECONDS = 3600;

  private final RoleTable roles;
  private final FaultPlan faults;
  private final IssuedCredentialStore store;
  private final CallLog calls;
  private final Clock clock;

  AssumeRoleAction(
      RoleTable roles, FaultPlan faults, IssuedCredentialStore store, CallLog calls, Clock clock) {
    this.roles = roles;
    this.faults = faults;
    this.store = store;
    this.calls = calls;
    this.clock = clock;
  }

  IssuedCredentials assumeRole(AssumeRoleParameters params, Caller caller)
      throws StsErrorException {
    Instant receivedAt = clock.instant();
    try {
      FaultPlan.Planned planned = faults.plan(params.roleArn());
      pause(planned.delay());
      if (planned.error().isPresent()) {
        throw new StsErrorException(planned.error().get());
      }
      params.validate();
      Role role = admit(params, caller);
      int duration = params.durationOrDefault();
      checkDuration(role, caller, duration);
      IssuedCredentials issued =
          store.issue(
              role,
              params.roleSessionName(),
              clock.instant().plusSeconds(duration),
              params.sourceIdentity());
      record(receivedAt, params, caller, CallOutcome.ISSUED, null, issued.accessKeyId());
      return issued;
    } catch (StsErrorException e) {
      record(receivedAt, params, caller, CallOutcome.of(e.error()), e.error().code(), null);
      throw e;
    }
  }

  private Role admit(AssumeRoleParameters params, Caller caller) throws StsErrorException {
    String arn = params.roleArn();
    Role role =
        roles
            .find(arn)
            .filter(r -> !faults.isDenied(arn))
            .filter(r -> r.admits(caller))
            .filter(r -> r.externalId() == null || r.externalId().equals(params.externalId()))
            .orElse(null);
    if (role == null) {
      throw new StsErrorException(StsError.accessDenied(caller.arn(), arn));
    }
    // STS authorises each extra session action against the role's trust policy on its own.
    if (!params.tagKeys().isEmpty() && !role.trusts(RoleSpec.TAG_SESSION)) {
      throw new StsErrorException(StsError.accessDenied(caller.arn(), RoleSpec.TAG_SESSION, arn));
    }
    if (params.sourceIdentity() != null && !role.trusts(RoleSpec.SET_SOURCE_IDENTITY)) {
      throw new StsErrorException(
          StsError.accessDenied(caller.arn(), RoleSpec.SET_SOURCE_IDENTITY, arn));
    }
    return role;
  }

  private static void checkDuration(Role role, Caller caller, int seconds)
      throws StsErrorException {
    if (caller.isRoleSession() && seconds > ROLE_CHAINING_LIMIT_SECONDS) {
      throw new StsErrorException(
          StsError.validation(
              "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed"
                  + " by role chaining."));
    }
    if (seconds > role.maxSessionDuration().toSeconds()) {
      throw new StsErrorException(
          StsError.validation(
              "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."));
    }
  }

  private static void pause(Duration delay) {
    if (delay.isZero()) {
      return;
    }
    try {
      Thread.sleep(delay.toMillis());
    } catch (InterruptedException e) {
      // The endpoint is closing; answer at once.
      Thread.currentThread().interrupt();
    }
  }

  private void record(
      Instant receivedAt,
      AssumeRoleParameters params,
      Caller caller,
      CallOutcome outcome,
      String errorCode,
      String issuedAccessKeyId) {
    calls.recordAssumeRole(
        new AssumeRoleCall(
            receivedAt,
            caller.accessKeyId(),
            caller.arn(),
            caller.region(),
            params.roleArn(),
            params.roleSessionName(),
            params.durationSent(),
            params.externalId(),
            params.sourceIdentity(),
            params.tags(),
            outcome,
            errorCode,
            issuedAccessKeyId));
    LoggingEventBuilder event =
        log.atInfo()
            .setMessage("AssumeRole {}")
            .addArgument(outcome)
            .addKeyValue("caller.arn", caller.arn())
            .addKeyValue("caller.access.key", caller.accessKeyId())
            .addKeyValue("sts.role.arn", params.roleArn())
            .addKeyValue("sts.session.name", params.roleSessionName())
            .addKeyValue("sts.duration.seconds", params.durationSeconds())
            .addKeyValue("sts.external.id", Redaction.mask(params.externalId()));
    if (errorCode != null) {
      event = event.addKeyValue("sts.error.code", errorCode);
    }
    if (issuedAccessKeyId != null) {
      event = event.addKeyValue("credentials.access.key", issuedAccessKeyId);
    }
    event.log();
  }
}
