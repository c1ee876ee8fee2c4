package io.kiam.testkit.sts;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real STS peer for tests: speaks the AWS query protocol over HTTP, checks SigV4 signatures,
 * answers AssumeRole and GetCallerIdentity like STS, and fails on demand.
 */
public final class StsEndpoint implements AutoCloseable {
  /** AWS's documented example access key id, used when no base credentials are given. */
  public static final String DEFAULT_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE";

  /** AWS's documented example secret access key, used when no base credentials are given. */
  public static final String DEFAULT_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

  public static final String DEFAULT_ACCOUNT = "123456789012";

  /** How far a request's X-Amz-Date may be from the endpoint's clock, as at AWS. */
  public static final Duration DEFAULT_MAX_CLOCK_SKEW = Duration.ofMinutes(15);

  private static final Logger log = LoggerFactory.getLogger(StsEndpoint.class);

  private final HttpServer server;
  private final ExecutorService executor;
  private final String account;
  private final List<BaseCredentials> baseCredentials;
  private final IssuedCredentialStore issued;
  private final FaultPlan faults;
  private final CallLog calls;
  private final URI uri;

  private StsEndpoint(Builder builder) throws IOException {
    this.account = builder.account;
    this.baseCredentials = builder.resolvedBaseCredentials();
    this.issued = new IssuedCredentialStore();
    this.faults = new FaultPlan(account);
    this.calls = new CallLog(account);
    RoleTable roles = new RoleTable(account, builder.roles, builder.anyRoleInAccount);
    Map<String, SigningIdentity> base = new LinkedHashMap<>();
    baseCredentials.forEach(c -> base.put(c.accessKeyId(), SigningIdentity.of(c)));
    SigV4Verifier verifier =
        new SigV4Verifier(
            "sts",
            builder.clock,
            builder.maxClockSkew,
            accessKeyId ->
                Optional.ofNullable(base.get(accessKeyId))
                    .or(() -> issued.find(accessKeyId).map(SigningIdentity::of)));
    AssumeRoleAction assumeRole = new AssumeRoleAction(roles, faults, issued, calls, builder.clock);

    this.server = HttpServer.create(new InetSocketAddress(builder.bind, builder.port), 64);
    AtomicInteger threads = new AtomicInteger();
    this.executor =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "sts-endpoint-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.createContext("/", new StsHttpHandler(verifier, assumeRole, calls));
    server.start();
    this.uri = uriOf(server.getAddress());
    log.atInfo()
        .setMessage("STS endpoint listening on {}")
        .addArgument(uri)
        .addKeyValue("sts.account", account)
        .addKeyValue("sts.roles", roles.arns())
        .addKeyValue(
            "sts.base.access.keys",
            baseCredentials.stream().map(BaseCredentials::accessKeyId).toList())
        .log();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The endpoint's base URL, e.g. {@code http://127.0.0.1:41234/}: use it as endpointOverride. */
  public URI uri() {
    return uri;
  }

  public InetSocketAddress address() {
    return server.getAddress();
  }

  public String account() {
    return account;
  }

  /** The ARN of a role name in the endpoint's account (ARNs are returned as they are). */
  public String roleArn(String nameOrArn) {
    return RoleArns.resolve(account, nameOrArn);
  }

  /** The credentials the endpoint accepts besides those it issued; the first is the default. */
  public List<BaseCredentials> baseCredentials() {
    return baseCredentials;
  }

  public FaultPlan faults() {
    return faults;
  }

  public CallLog calls() {
    return calls;
  }

  /** Credentials this endpoint issued, by access key id: tests compare what a caller served. */
  public Optional<IssuedCredentials> issuedCredentials(String accessKeyId) {
    return issued.find(accessKeyId);
  }

  /** Shorthand for {@code calls().awaitAssumeRoleCalls(role, count, timeout)}. */
  public List<AssumeRoleCall> awaitAssumeRoleCalls(String role, int count, Duration timeout) {
    return calls.awaitAssumeRoleCalls(role, count, timeout);
  }

  /** Clears faults and recorded calls; issued credentials stay valid. */
  public void reset() {
    faults.clear();
    calls.reset();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    log.info("STS endpoint on {} stopped", uri);
  }

  private static URI uriOf(InetSocketAddress address) {
    try {
      return new URI(
          "http", null, address.getAddress().getHostAddress(), address.getPort(), "/", null, null);
    } catch (URISyntaxException e) {
      throw new IllegalStateException("cannot form a URI for " + address, e);
    }
  }

  /** Configures an endpoint; {@link #start()} binds it. */
  public static final class Builder {
    private static final Pattern ACCOUNT = Pattern.compile("\\d{12}");

    private String account = DEFAULT_ACCOUNT;
    private InetAddress bind = InetAddress.getLoopbackAddress();
    private int port;
    private Clock clock = Clock.systemUTC();
    private Duration maxClockSkew = DEFAULT_MAX_CLOCK_SKEW;
    private final List<RoleSpec> roles = new ArrayList<>();
    private boolean anyRoleInAccount;

    /** Base credentials, completed with the account once it is known. */
    private final List<Function<String, BaseCredentials>> pendingCredentials = new ArrayList<>();

    private Builder() {}

    public Builder account(String account) {
      if (!ACCOUNT.matcher(account).matches()) {
        throw new IllegalArgumentException("account must be 12 digits, not '" + account + "'");
      }
      this.account = account;
      return this;
    }

    /** The address to listen on; loopback by default. */
    public Builder bind(InetAddress address) {
      this.bind = Objects.requireNonNull(address);
      return this;
    }

    /** The port to listen on; 0 (the default) picks a free one. */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0..65535, not " + port);
      }
      this.port = port;
      return this;
    }

    /** The clock for expirations and request-time checks; move it to expire credentials. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock);
      return this;
    }

    public Builder maxClockSkew(Duration skew) {
      this.maxClockSkew = Objects.requireNonNull(skew);
      return this;
    }

    /** Accepts an access key whose caller is {@code arn:aws:iam::ACCOUNT:user/kiam-test}. */
    public Builder baseCredentials(String accessKeyId, String secretAccessKey) {
      pendingCredentials.add(
          acct -> BaseCredentials.of(accessKeyId, secretAccessKey, defaultCallerArn(acct)));
      return this;
    }

    public Builder baseCredentials(BaseCredentials credentials) {
      Objects.requireNonNull(credentials);
      pendingCredentials.add(acct -> credentials);
      return this;
    }

    /** A role that exists: by name in this account, or by ARN. */
    public Builder role(String nameOrArn) {
      return role(RoleSpec.of(nameOrArn));
    }

    public Builder role(RoleSpec role) {
      roles.add(Objects.requireNonNull(role));
      return this;
    }

    /**
     * Every role name in the endpoint's account exists besides those declared: a sandbox account
     * whose roles all trust the caller (deny some with {@link FaultPlan#denyRole}).
     */
    public Builder anyRoleInAccount() {
      this.anyRoleInAccount = true;
      return this;
    }

    public Builder roles(List<RoleSpec> specs) {
      specs.forEach(this::role);
      return this;
    }

    /** Binds and starts the endpoint. */
    public StsEndpoint start() {
      try {
        return new StsEndpoint(this);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot listen on " + bind + ":" + port, e);
      }
    }

    private List<BaseCredentials> resolvedBaseCredentials() {
      if (pendingCredentials.isEmpty()) {
        baseCredentials(DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY);
      }
      List<BaseCredentials> resolved =
          pendingCredentials.stream().map(pending -> pending.apply(account)).toList();
      if (resolved.stream().map(BaseCredentials::accessKeyId).distinct().count()
          != resolved.size()) {
        throw new IllegalArgumentException("an access key id is declared twice");
      }
      return resolved;
    }

    private static String defaultCallerArn(String account) {
      return "arn:aws:iam::" + account + ":user/kiam-test";
    }
  }
}
