package io.kiam.agent.imds;

import io.netty.handler.codec.http.HttpMethod;

/** What a normalised path asks for; {@link Router} decides, the handler serves. */
public sealed interface Route {

  /** The method this route answers; anything else is 405 with this as the Allow header. */
  HttpMethod method();

  /** A low-cardinality name for metrics and logs. */
  String name();

  /** Whether the IMDSv2 token rules apply (they do for everything that impersonates EC2). */
  default boolean metadata() {
    return true;
  }

  /** {@code /ping}: the process is alive. */
  record Ping() implements Route {
    @Override
    public HttpMethod method() {
      return HttpMethod.GET;
    }

    @Override
    public String name() {
      return "ping";
    }

    @Override
    public boolean metadata() {
      return false;
    }
  }

  /** {@code /health}: a server answers and the interception rule is in place. */
  record Health() implements Route {
    @Override
    public HttpMethod method() {
      return HttpMethod.GET;
    }

    @Override
    public String name() {
      return "health";
    }

    @Override
    public boolean metadata() {
      return false;
    }
  }

  /** {@code PUT /VERSION/api/token}: an agent-issued IMDSv2 session token. */
  record Token() implements Route {
    @Override
    public HttpMethod method() {
      return HttpMethod.PUT;
    }

    @Override
    public String name() {
      return "token";
    }
  }

  /** {@code .../security-credentials[-extended]/}: the pod's role name. */
  record RoleName(boolean extended) implements Route {
    @Override
    public HttpMethod method() {
      return HttpMethod.GET;
    }

    @Override
    public String name() {
      return extended ? "role_name_extended" : "role_name";
    }
  }

  /** {@code .../security-credentials[-extended]/ROLE}: the pod's credentials for ROLE. */
  record Credentials(String role, boolean extended) implements Route {
    @Override
    public HttpMethod method() {
      return HttpMethod.GET;
    }

    @Override
    public String name() {
      return extended ? "credentials_extended" : "credentials";
    }
  }

  /** A path the allow-list lets through to the real metadata service. */
  record Proxy(String path) implements Route {
    @Override
    public HttpMethod method() {
      return HttpMethod.GET;
    }

    @Override
    public String name() {
      return "proxy";
    }
  }

  /** A path no pod may read; {@code reason} says why, in the 404 body. */
  record Blocked(String reason) implements Route {
    @Override
    public HttpMethod method() {
      return HttpMethod.GET;
    }

    @Override
    public String name() {
      return "blocked";
    }
  }
}
