package io.kiam.agent.client;

import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import java.net.URI;
import java.time.Duration;

/**
 * Registers {@link ServerAddressResolver} for the agent's channel only, under the {@code dns}
 * scheme, so that the target it is given resolves with our refresh rules.
 */
final class ServerAddressResolverProvider extends NameResolverProvider {
  static final String SCHEME = "dns";

  private final ServerTarget target;
  private final HostLookup lookup;
  private final Duration every;
  private final Duration minGap;

  ServerAddressResolverProvider(
      ServerTarget target, HostLookup lookup, Duration every, Duration minGap) {
    this.target = target;
    this.lookup = lookup;
    this.every = every;
    this.minGap = minGap;
  }

  /** The channel target that makes the channel ask this provider. */
  String channelTarget() {
    return SCHEME + ":///" + target.authority();
  }

  @Override
  public NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
    if (!SCHEME.equals(targetUri.getScheme())) {
      return null;
    }
    return new ServerAddressResolver(target, lookup, every, minGap, args);
  }

  @Override
  public String getDefaultScheme() {
    return SCHEME;
  }

  @Override
  protected boolean isAvailable() {
    return true;
  }

  @Override
  protected int priority() {
    return 5;
  }
}
