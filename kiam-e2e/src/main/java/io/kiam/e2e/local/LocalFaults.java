package io.kiam.e2e.local;

import io.kiam.e2e.node.KiamNode;
import io.kiam.e2e.node.TestkitSts;
import io.kiam.e2e.process.ManagedProcess;
import io.kiam.testkit.sts.FaultPlan;
import io.kiam.testkit.sts.ServerFault;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The faults a person can put on the running node and undo: a server killed, stopped or cut off,
 * STS failing, the Kubernetes API gone, the agent killed. Bad input changes nothing and throws
 * {@link IllegalArgumentException} with one line saying why.
 */
final class LocalFaults {
  private static final Pattern ROLE = Pattern.compile("([\\x21-\\x7E&&[^/]]+/)*[\\w+=,.@-]{1,64}");
  private static final long MAX_SLOW_MILLIS = 600_000;

  private final KiamNode node;
  private final LocalConfig config;
  private final boolean[] stopped;
  private final boolean[] blackholed;
  private final Set<String> stsFaults = new LinkedHashSet<>();

  LocalFaults(KiamNode node, LocalConfig config) {
    this.node = node;
    this.config = config;
    this.stopped = new boolean[node.options().servers()];
    this.blackholed = new boolean[node.options().servers()];
  }

  /** Applies `fault TARGET ARGS...`; returns the line to print. */
  synchronized String apply(List<String> args) {
    if (args.isEmpty()) {
      throw new IllegalArgumentException("fault what? server N, sts, api or agent");
    }
    List<String> rest = args.subList(1, args.size());
    return switch (args.get(0)) {
      case "server" -> server(rest);
      case "sts" -> sts(rest);
      case "api" -> api(rest);
      case "agent" -> agent(rest);
      default ->
          throw new IllegalArgumentException(
              "no fault target '" + args.get(0) + "': server N, sts, api or agent");
    };
  }

  private String server(List<String> args) {
    int count = node.options().servers();
    if (args.size() != 2) {
      throw new IllegalArgumentException("usage: fault server N kill|stop|blackhole|heal");
    }
    int index = serverIndex(args.get(0), count);
    String name = "server " + (index + 1);
    ManagedProcess process = node.servers().get(index);
    boolean killed = !process.isAlive();
    switch (args.get(1)) {
      case "kill" -> {
        if (killed) {
          return name + " is killed already";
        }
        process.kill();
        stopped[index] = false;
        return name
            + " killed (SIGKILL, pid "
            + process.pid()
            + "); 'fault server N heal' restarts it";
      }
      case "stop" -> {
        if (killed) {
          throw new IllegalArgumentException(
              name + " is killed: 'fault server N heal' restarts it");
        }
        if (stopped[index]) {
          return name + " is stopped already";
        }
        if (!process.signal("STOP")) {
          throw new IllegalStateException("cannot send SIGSTOP to " + name);
        }
        stopped[index] = true;
        return name + " stopped (SIGSTOP, pid " + process.pid() + "): it holds its connections";
      }
      case "blackhole" -> {
        node.network().dropTraffic(node.serverAddress(index), true);
        blackholed[index] = true;
        return name
            + " blackholed: the node drops every packet to and from "
            + node.serverAddress(index);
      }
      case "heal" -> {
        return healServer(index);
      }
      default ->
          throw new IllegalArgumentException(
              "no server fault '" + args.get(1) + "': kill, stop, blackhole or heal");
    }
  }

  private static int serverIndex(String text, int count) {
    int n;
    try {
      n = Integer.parseInt(text);
    } catch (NumberFormatException e) {
      n = -1;
    }
    if (n < 1 || n > count) {
      throw new IllegalArgumentException(
          "no server '" + text + "': this node runs " + count + " (1.." + count + ")");
    }
    return n - 1;
  }

  private String healServer(int index) {
    String name = "server " + (index + 1);
    List<String> done = new ArrayList<>();
    if (blackholed[index]) {
      node.network().dropTraffic(node.serverAddress(index), false);
      blackholed[index] = false;
      done.add("traffic let through");
    }
    ManagedProcess process = node.servers().get(index);
    if (process.isAlive() && stopped[index]) {
      process.signal("CONT");
      done.add("resumed (SIGCONT)");
    }
    stopped[index] = false;
    if (!process.isAlive()) {
      node.startServer(index);
      node.awaitServer(index);
      done.add("restarted, serving (pid " + node.servers().get(index).pid() + ")");
    }
    return name + (done.isEmpty() ? " is healthy already" : ": " + String.join(", ", done));
  }

  private String sts(List<String> args) {
    if (!(node.sts() instanceof TestkitSts local)) {
      throw new IllegalArgumentException(
          "fault sts needs the local STS endpoint; this node calls " + node.sts().url());
    }
    FaultPlan faults = local.endpoint().faults();
    String what = args.isEmpty() ? "" : args.get(0);
    int arity = what.equals("slow") || what.equals("deny") ? 2 : 1;
    if (args.size() != arity) {
      throw new IllegalArgumentException("usage: fault sts outage|throttle|slow MS|deny ROLE|heal");
    }
    switch (what) {
      case "outage" -> {
        faults.failAll(ServerFault.SERVICE_UNAVAILABLE);
        stsFaults.removeIf(f -> f.equals("throttle"));
        stsFaults.add("outage");
        return "STS answers every AssumeRole with 503 ServiceUnavailable";
      }
      case "throttle" -> {
        faults.throttleAll();
        stsFaults.removeIf(f -> f.equals("outage"));
        stsFaults.add("throttle");
        return "STS answers every AssumeRole with Throttling";
      }
      case "slow" -> {
        long millis = millis(args.get(1));
        faults.delayAll(Duration.ofMillis(millis));
        stsFaults.removeIf(f -> f.startsWith("slow "));
        if (millis > 0) {
          stsFaults.add("slow " + millis + "ms");
        }
        return "STS answers every AssumeRole after " + millis + " ms";
      }
      case "deny" -> {
        String role = args.get(1);
        if (!ROLE.matcher(role).matches()) {
          throw new IllegalArgumentException("'" + role + "' is not a role name");
        }
        faults.denyRole(role);
        stsFaults.add("deny " + role);
        return "STS refuses role " + role + " (AccessDenied)";
      }
      case "heal" -> {
        faults.clear();
        config.sts().deny().forEach(faults::denyRole);
        stsFaults.clear();
        return "STS healthy (the config's sts.deny still applies)";
      }
      default ->
          throw new IllegalArgumentException(
              "no STS fault '" + what + "': outage, throttle, slow MS, deny ROLE or heal");
    }
  }

  private static long millis(String text) {
    try {
      long millis = Long.parseLong(text);
      if (millis >= 0 && millis <= MAX_SLOW_MILLIS) {
        return millis;
      }
    } catch (NumberFormatException e) {
      // said below
    }
    throw new IllegalArgumentException(
        "slow takes milliseconds, 0.." + MAX_SLOW_MILLIS + ", not '" + text + "'");
  }

  private String api(List<String> args) {
    if (args.size() != 1) {
      throw new IllegalArgumentException("usage: fault api down|heal");
    }
    switch (args.get(0)) {
      case "down" -> {
        node.cluster().gate().down();
        return "Kubernetes API down: watches cut, requests unanswered"
            + " ('pod' commands still change it, as on a control plane the node cannot reach)";
      }
      case "heal" -> {
        node.cluster().gate().heal();
        return "Kubernetes API back";
      }
      default ->
          throw new IllegalArgumentException("no API fault '" + args.get(0) + "': down or heal");
    }
  }

  private String agent(List<String> args) {
    if (args.size() != 1) {
      throw new IllegalArgumentException("usage: fault agent kill|restart");
    }
    ManagedProcess agent = node.agent();
    switch (args.get(0)) {
      case "kill" -> {
        if (!agent.isAlive()) {
          return "the agent is killed already";
        }
        agent.kill();
        return "agent killed (SIGKILL, pid " + agent.pid() + "); its iptables rule stays";
      }
      case "restart" -> {
        if (agent.isAlive()) {
          node.stopAgent();
        }
        node.startAgent();
        node.awaitAgent();
        return "agent restarted, answering (pid " + node.agent().pid() + ")";
      }
      default ->
          throw new IllegalArgumentException(
              "no agent fault '" + args.get(0) + "': kill or restart");
    }
  }

  /** Each server's state now: killed, stopped, blackholed or running. */
  synchronized String serverState(int index) {
    if (!node.servers().get(index).isAlive()) {
      return "killed";
    }
    if (stopped[index]) {
      return "stopped";
    }
    return blackholed[index] ? "blackholed" : "running";
  }

  synchronized List<String> stsFaults() {
    return List.copyOf(stsFaults);
  }
}
