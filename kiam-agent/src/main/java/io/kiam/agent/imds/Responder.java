package io.kiam.agent.imds;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;

/**
 * Answers a routed request: applies the IMDSv2 token rules, then serves the route. Knows nothing of
 * Netty channels, so every rule is testable on its own.
 */
public final class Responder {
  private static final String FORWARDED_FOR = "X-Forwarded-For";

  private final MetadataServices services;
  private final CredentialRoutes credentials;
  private final HealthCheck health;

  public Responder(MetadataServices services) {
    this.services = services;
    this.credentials = new CredentialRoutes(services.servers());
    this.health =
        new HealthCheck(
            services.servers(),
            services.interception(),
            services.blocking(),
            HealthCheck.MAX_AGE,
            System::nanoTime);
  }

  public CompletableFuture<Reply> answer(Route route, InetAddress caller, HttpHeaders headers) {
    return answer(route, caller, NetUtil.toAddressString(caller), headers);
  }

  /** As above, with {@code ip} the caller's address as text (worked out once per connection). */
  public CompletableFuture<Reply> answer(
      Route route, InetAddress caller, String ip, HttpHeaders headers) {
    if (route.metadata() && !(route instanceof Route.Token)) {
      Optional<Reply> refused = tokenProblem(caller, headers);
      if (refused.isPresent()) {
        return CompletableFuture.completedFuture(refused.get());
      }
    }
    // Java 17: no pattern switch yet; the sealed Route keeps this list complete.
    if (route instanceof Route.Credentials wanted) {
      return credentials.credentials(ip, wanted.role(), wanted.extended());
    }
    if (route instanceof Route.RoleName) {
      return credentials.roleName(ip);
    }
    if (route instanceof Route.Token) {
      return done(issueToken(caller, headers));
    }
    if (route instanceof Route.Ping) {
      return done(Reply.text("pong"));
    }
    if (route instanceof Route.Health) {
      return health.current();
    }
    if (route instanceof Route.Proxy proxy) {
      return services.upstream().get(proxy.path());
    }
    services.metrics().blocked();
    String reason = ((Route.Blocked) route).reason();
    return done(Reply.error(HttpResponseStatus.NOT_FOUND, "blocked by kiam: " + reason));
  }

  private Optional<Reply> tokenProblem(InetAddress caller, HttpHeaders headers) {
    String token = headers.get(TokenIssuer.TOKEN_HEADER);
    if (token == null) {
      return services.requireImdsv2()
          ? Optional.of(
              Reply.error(
                  HttpResponseStatus.UNAUTHORIZED,
                  "IMDSv2 required: PUT /latest/api/token first, then send "
                      + TokenIssuer.TOKEN_HEADER))
          : Optional.empty();
    }
    TokenIssuer.Check check = services.tokens().check(token, caller);
    return switch (check) {
      case VALID -> Optional.empty();
      case EXPIRED ->
          Optional.of(Reply.error(HttpResponseStatus.UNAUTHORIZED, "IMDSv2 token expired"));
      case MALFORMED, FORGED_OR_OTHER_CALLER ->
          Optional.of(
              Reply.error(
                  HttpResponseStatus.UNAUTHORIZED, "IMDSv2 token not issued to this caller"));
    };
  }

  private Reply issueToken(InetAddress caller, HttpHeaders headers) {
    if (headers.contains(FORWARDED_FOR)) {
      return Reply.error(
          HttpResponseStatus.FORBIDDEN, "token requests through a proxy (X-Forwarded-For) refused");
    }
    String ttlHeader = headers.get(TokenIssuer.TTL_HEADER);
    OptionalInt ttl = TokenIssuer.parseTtl(ttlHeader);
    if (ttl.isEmpty()) {
      return Reply.error(
          HttpResponseStatus.BAD_REQUEST,
          ttlHeader == null
              ? TokenIssuer.TTL_HEADER + " header missing"
              : TokenIssuer.TTL_HEADER + " must be 1.." + TokenIssuer.MAX_TTL_SECONDS);
    }
    String token = services.tokens().issue(caller, ttl.getAsInt());
    services.metrics().tokenIssued();
    return Reply.text(token).withHeader(TokenIssuer.TTL_HEADER, Integer.toString(ttl.getAsInt()));
  }

  private static CompletableFuture<Reply> done(Reply reply) {
    return CompletableFuture.completedFuture(reply);
  }
}
