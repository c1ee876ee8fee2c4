package io.kiam.common.logging;

/** How the daemons write their log lines: readable text (the default) or one JSON object a line. */
public enum LogFormat {
  TEXT,
  JSON
}
