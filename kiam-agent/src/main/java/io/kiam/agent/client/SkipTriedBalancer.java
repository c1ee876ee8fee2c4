package io.kiam.agent.client;

import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.LoadBalancerRegistry;
import io.grpc.NameResolver;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Round robin over every server, except that an attempt goes to a server its call has not tried yet
 * when one is connected (see {@link TriedServers}). Plain round robin shares one turn among every
 * call on the channel, so a call's second attempt after its first timed out on a silent server
 * could land on that server again when another call took the turn in between.
 *
 * <p>One subchannel per resolved address, as grpc's round_robin keeps them: connections are made at
 * once and again when one goes idle, and a failed one asks for a new look-up.
 */
final class SkipTriedBalancer extends LoadBalancer {
  // gRPC wants lower case, digits and underscores, starting with a letter; not "kiam_...", which
  // reads as one of kiam's metric names (the docs' metric catalogue looks for those).
  static final String POLICY = "skip_tried_round_robin_for_kiam";

  private static boolean registered;

  private final Helper helper;
  private final Map<EquivalentAddressGroup, Subchannel> subchannels = new LinkedHashMap<>();
  private final Map<Subchannel, ConnectivityState> states = new HashMap<>();
  private final AtomicInteger turn = new AtomicInteger(new java.util.Random().nextInt(1 << 16));
  private ConnectivityState current;
  private Status lastFailure = Status.UNAVAILABLE.withDescription("no kiam server connected yet");

  private SkipTriedBalancer(Helper helper) {
    this.helper = helper;
  }

  /** Makes the policy known to gRPC (once per JVM); the channel names it in its service config. */
  static synchronized String policy() {
    if (!registered) {
      LoadBalancerRegistry.getDefaultRegistry().register(new Provider());
      registered = true;
    }
    return POLICY;
  }

  @Override
  public Status acceptResolvedAddresses(ResolvedAddresses resolved) {
    List<EquivalentAddressGroup> groups = new ArrayList<>();
    for (EquivalentAddressGroup g : resolved.getAddresses()) {
      // Attributes may differ between look-ups of one address; the address is the server.
      groups.add(new EquivalentAddressGroup(g.getAddresses()));
    }
    if (groups.isEmpty()) {
      Status none = Status.UNAVAILABLE.withDescription("the look-up found no kiam server");
      handleNameResolutionError(none);
      return none;
    }
    for (EquivalentAddressGroup g : groups) {
      if (!subchannels.containsKey(g)) {
        Subchannel s =
            helper.createSubchannel(CreateSubchannelArgs.newBuilder().setAddresses(g).build());
        subchannels.put(g, s);
        states.put(s, ConnectivityState.IDLE);
        s.start(info -> changed(s, info));
        s.requestConnection();
      }
    }
    for (var it = subchannels.entrySet().iterator(); it.hasNext(); ) {
      var e = it.next();
      if (!groups.contains(e.getKey())) {
        states.remove(e.getValue());
        e.getValue().shutdown();
        it.remove();
      }
    }
    publish();
    return Status.OK;
  }

  @Override
  public void handleNameResolutionError(Status error) {
    if (current != ConnectivityState.READY) {
      lastFailure = error;
      current = ConnectivityState.TRANSIENT_FAILURE;
      helper.updateBalancingState(current, new Failing(error));
    }
  }

  @Override
  public void requestConnection() {
    subchannels.values().forEach(Subchannel::requestConnection);
  }

  @Override
  public void shutdown() {
    subchannels.values().forEach(Subchannel::shutdown);
    subchannels.clear();
    states.clear();
  }

  private void changed(Subchannel s, ConnectivityStateInfo info) {
    if (!states.containsKey(s) || info.getState() == ConnectivityState.SHUTDOWN) {
      return;
    }
    states.put(s, info.getState());
    if (info.getState() == ConnectivityState.TRANSIENT_FAILURE) {
      lastFailure = info.getStatus();
    }
    if (info.getState() == ConnectivityState.IDLE
        || info.getState() == ConnectivityState.TRANSIENT_FAILURE) {
      // A connection closed or failed: the server may have gone, look again.
      helper.refreshNameResolution();
    }
    if (info.getState() == ConnectivityState.IDLE) {
      s.requestConnection();
    }
    publish();
  }

  private void publish() {
    List<Ready> ready = new ArrayList<>();
    boolean connecting = false;
    for (Map.Entry<EquivalentAddressGroup, Subchannel> e : subchannels.entrySet()) {
      ConnectivityState state = states.get(e.getValue());
      if (state == ConnectivityState.READY) {
        ready.add(new Ready(e.getValue(), e.getKey()));
      } else if (state == ConnectivityState.CONNECTING || state == ConnectivityState.IDLE) {
        connecting = true;
      }
    }
    if (!ready.isEmpty()) {
      current = ConnectivityState.READY;
      helper.updateBalancingState(current, new Picker(ready, turn));
    } else if (connecting && current != ConnectivityState.TRANSIENT_FAILURE) {
      // Calls wait for a connection; once every server failed they fail fast instead, until one
      // is READY again (gRPC's "sticky" TRANSIENT_FAILURE).
      current = ConnectivityState.CONNECTING;
      helper.updateBalancingState(current, new Waiting());
    } else {
      current = ConnectivityState.TRANSIENT_FAILURE;
      helper.updateBalancingState(current, new Failing(lastFailure));
    }
  }

  /** A connected server and its address (read here: the subchannel tells it only in sync). */
  private record Ready(Subchannel subchannel, EquivalentAddressGroup address) {}

  /** Round robin over the connected servers, preferring one the call has not tried. */
  private static final class Picker extends SubchannelPicker {
    private final List<Ready> ready;
    private final AtomicInteger turn;

    Picker(List<Ready> ready, AtomicInteger turn) {
      this.ready = List.copyOf(ready);
      this.turn = turn;
    }

    @Override
    public PickResult pickSubchannel(PickSubchannelArgs args) {
      int first = Math.floorMod(turn.getAndIncrement(), ready.size());
      TriedServers tried = args.getCallOptions().getOption(TriedServers.KEY);
      Ready chosen = tried == null ? ready.get(first) : choose(first, tried);
      if (tried != null) {
        tried.picked(chosen.address());
      }
      return PickResult.withSubchannel(chosen.subchannel());
    }

    private Ready choose(int first, TriedServers tried) {
      for (int i = 0; i < ready.size(); i++) {
        Ready r = ready.get((first + i) % ready.size());
        if (!tried.contains(r.address())) {
          return r;
        }
      }
      // Every connected server was tried: at least not the one that just failed.
      EquivalentAddressGroup last = tried.last();
      for (int i = 0; i < ready.size(); i++) {
        Ready r = ready.get((first + i) % ready.size());
        if (!r.address().equals(last)) {
          return r;
        }
      }
      return ready.get(first);
    }
  }

  private static final class Waiting extends SubchannelPicker {
    @Override
    public PickResult pickSubchannel(PickSubchannelArgs args) {
      return PickResult.withNoResult();
    }
  }

  private static final class Failing extends SubchannelPicker {
    private final Status status;

    Failing(Status status) {
      this.status = status;
    }

    @Override
    public PickResult pickSubchannel(PickSubchannelArgs args) {
      return PickResult.withError(status);
    }
  }

  private static final class Provider extends LoadBalancerProvider {
    @Override
    public boolean isAvailable() {
      return true;
    }

    @Override
    public int getPriority() {
      return 5;
    }

    @Override
    public String getPolicyName() {
      return POLICY;
    }

    @Override
    public LoadBalancer newLoadBalancer(Helper helper) {
      return new SkipTriedBalancer(helper);
    }

    @Override
    public NameResolver.ConfigOrError parseLoadBalancingPolicyConfig(Map<String, ?> config) {
      return NameResolver.ConfigOrError.fromConfig(POLICY);
    }
  }
}
