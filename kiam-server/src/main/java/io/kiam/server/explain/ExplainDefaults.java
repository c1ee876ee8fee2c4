package io.kiam.server.explain;

import io.kiam.server.roles.SessionNamer;
import io.kiam.server.sts.CredentialCacheConfig;
import io.kiam.server.sts.SessionNames;
import java.time.Duration;

/** The server's defaults that explain must share to decide and name sessions alike. */
final class ExplainDefaults {
  static final String SESSION = SessionNames.DEFAULT_SUFFIX;

  static final Duration SESSION_DURATION = CredentialCacheConfig.DEFAULT_SESSION_DURATION;

  /** As ServerCommand wires it: the suffix is --session, the STS side sanitises. */
  static final SessionNamer SESSION_NAMER = SessionNames::sessionName;

  private ExplainDefaults() {}
}
