package io.kiam.server.explain;

import io.kiam.server.ServerConfig;
import io.kiam.server.roles.SessionNamer;
import io.kiam.server.sts.SessionNames;
import java.time.Duration;

/** The server's defaults that explain must share to decide and name sessions alike. */
final class ExplainDefaults {
  static final String SESSION = ServerConfig.DEFAULT_SESSION;

  static final Duration SESSION_DURATION = ServerConfig.DEFAULT_SESSION_DURATION;

  /** As ServerCommand wires it: the suffix is --session, the STS side sanitises. */
  static final SessionNamer SESSION_NAMER = SessionNames::sessionName;

  private ExplainDefaults() {}
}
