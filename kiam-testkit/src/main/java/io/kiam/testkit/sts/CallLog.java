package io.kiam.testkit.sts;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * What the endpoint was asked: every authenticated AssumeRole call in order, counts per role and
 * outcome, and waits for a number of calls (for tests of callers that call STS in the background).
 * Roles are named by ARN or by name in the endpoint's account.
 */
public final class CallLog {
  private final String account;
  private final List<AssumeRoleCall> calls = new ArrayList<>();
  private int callerIdentityCalls;

  CallLog(String account) {
    this.account = account;
  }

  synchronized void recordAssumeRole(AssumeRoleCall call) {
    calls.add(call);
    notifyAll();
  }

  synchronized void recordGetCallerIdentity() {
    callerIdentityCalls++;
  }

  public synchronized List<AssumeRoleCall> assumeRoleCalls() {
    return List.copyOf(calls);
  }

  public synchronized List<AssumeRoleCall> assumeRoleCalls(String role) {
    return matching(forRole(role));
  }

  public synchronized int assumeRoleCount() {
    return calls.size();
  }

  public synchronized int assumeRoleCount(String role) {
    return matching(forRole(role)).size();
  }

  public synchronized int assumeRoleCount(CallOutcome outcome) {
    return matching(c -> c.outcome() == outcome).size();
  }

  public synchronized Map<CallOutcome, Integer> assumeRoleCountsByOutcome() {
    Map<CallOutcome, Integer> counts = new EnumMap<>(CallOutcome.class);
    for (CallOutcome outcome : CallOutcome.values()) {
      counts.put(outcome, 0);
    }
    calls.forEach(c -> counts.merge(c.outcome(), 1, Integer::sum));
    return counts;
  }

  public synchronized int getCallerIdentityCount() {
    return callerIdentityCalls;
  }

  /**
   * Waits until at least {@code count} AssumeRole calls for the role were received and returns them
   * all; fails with an AssertionError naming what it saw when the timeout passes first.
   */
  public List<AssumeRoleCall> awaitAssumeRoleCalls(String role, int count, Duration timeout) {
    return await(forRole(role), count, timeout, "for " + RoleArns.resolve(account, role));
  }

  /** Waits until at least {@code count} AssumeRole calls (any role) were received. */
  public List<AssumeRoleCall> awaitAssumeRoleCalls(int count, Duration timeout) {
    return await(c -> true, count, timeout, "in total");
  }

  /** Forgets every recorded call. */
  public synchronized void reset() {
    calls.clear();
    callerIdentityCalls = 0;
  }

  private synchronized List<AssumeRoleCall> await(
      Predicate<AssumeRoleCall> filter, int count, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<AssumeRoleCall> seen = matching(filter);
    try {
      while (seen.size() < count) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError(
              "expected "
                  + count
                  + " AssumeRole calls "
                  + what
                  + " within "
                  + timeout
                  + ", saw "
                  + seen.size()
                  + ": "
                  + seen);
        }
        wait(Math.max(1, left / 1_000_000));
        seen = matching(filter);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for AssumeRole calls " + what, e);
    }
    return seen;
  }

  private Predicate<AssumeRoleCall> forRole(String role) {
    String arn = RoleArns.resolve(account, role);
    return c -> arn.equals(c.roleArn());
  }

  private List<AssumeRoleCall> matching(Predicate<AssumeRoleCall> filter) {
    List<AssumeRoleCall> result = new ArrayList<>();
    for (AssumeRoleCall call : calls) {
      if (filter.test(call)) {
        result.add(call);
      }
    }
    return List.copyOf(result);
  }
}
