package io.kiam.testkit.sts;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Failures and delays the endpoint applies to AssumeRole calls on demand; thread-safe and
 * changeable while the endpoint runs. Roles are named by ARN or by name in the endpoint's account.
 * One-shot faults ("next N calls") are used up before per-role ones apply, and per-role ones before
 * those on every call.
 */
public final class FaultPlan {
  private final String account;
  private final Deque<StsError> nextCalls = new ArrayDeque<>();
  private final Map<String, StsError> byRole = new HashMap<>();
  private final Set<String> deniedRoles = new HashSet<>();
  private final Map<String, Duration> delayByRole = new HashMap<>();
  private Duration delayAll = Duration.ZERO;
  private StsError everyCall;

  FaultPlan(String account) {
    this.account = account;
  }

  /** What to do with one call: wait this long, then answer with the error if there is one. */
  record Planned(Duration delay, Optional<StsError> error) {}

  /** The next {@code calls} AssumeRole calls (any role) get Throttling. */
  public synchronized FaultPlan throttleNext(int calls) {
    return queue(calls, StsError.throttling());
  }

  /** The next {@code calls} AssumeRole calls (any role) get the given 5xx. */
  public synchronized FaultPlan failNext(int calls, ServerFault fault) {
    return queue(calls, fault.error());
  }

  /** Every AssumeRole call for the role gets Throttling until cleared. */
  public synchronized FaultPlan throttleRole(String role) {
    byRole.put(key(role), StsError.throttling());
    return this;
  }

  /** Every AssumeRole call for the role gets the given 5xx until cleared. */
  public synchronized FaultPlan failRole(String role, ServerFault fault) {
    byRole.put(key(role), fault.error());
    return this;
  }

  /** Every AssumeRole call (any role) gets Throttling until cleared: STS throttling the account. */
  public synchronized FaultPlan throttleAll() {
    everyCall = StsError.throttling();
    return this;
  }

  /** Every AssumeRole call (any role) gets the given 5xx until cleared: an STS outage. */
  public synchronized FaultPlan failAll(ServerFault fault) {
    everyCall = fault.error();
    return this;
  }

  /** The role is refused with AccessDenied, as if its trust policy did not admit the caller. */
  public synchronized FaultPlan denyRole(String role) {
    deniedRoles.add(key(role));
    return this;
  }

  /** Every AssumeRole call waits this long before it is answered. */
  public synchronized FaultPlan delayAll(Duration delay) {
    delayAll = requireNotNegative(delay);
    return this;
  }

  /** AssumeRole calls for the role wait this long (in addition to {@link #delayAll}). */
  public synchronized FaultPlan delayRole(String role, Duration delay) {
    delayByRole.put(key(role), requireNotNegative(delay));
    return this;
  }

  /** Removes the role's throttling, failure, denial and delay. */
  public synchronized FaultPlan clearRole(String role) {
    String key = key(role);
    byRole.remove(key);
    deniedRoles.remove(key);
    delayByRole.remove(key);
    return this;
  }

  /** Removes every fault and delay. */
  public synchronized void clear() {
    nextCalls.clear();
    byRole.clear();
    deniedRoles.clear();
    delayByRole.clear();
    delayAll = Duration.ZERO;
    everyCall = null;
  }

  /** Decides one call's fault, using up a one-shot fault if one is queued. */
  synchronized Planned plan(String requestedRoleArn) {
    String key = requestedRoleArn == null ? "" : requestedRoleArn;
    Duration delay = delayAll.plus(delayByRole.getOrDefault(key, Duration.ZERO));
    StsError error = nextCalls.isEmpty() ? byRole.get(key) : nextCalls.poll();
    if (error == null) {
      error = everyCall;
    }
    return new Planned(delay, Optional.ofNullable(error));
  }

  synchronized boolean isDenied(String roleArn) {
    return deniedRoles.contains(roleArn);
  }

  private FaultPlan queue(int calls, StsError error) {
    if (calls < 0) {
      throw new IllegalArgumentException("calls must not be negative: " + calls);
    }
    for (int i = 0; i < calls; i++) {
      nextCalls.add(error);
    }
    return this;
  }

  private String key(String role) {
    return RoleArns.resolve(account, Objects.requireNonNull(role, "role"));
  }

  private static Duration requireNotNegative(Duration delay) {
    if (delay.isNegative()) {
      throw new IllegalArgumentException("delay must not be negative: " + delay);
    }
    return delay;
  }
}
