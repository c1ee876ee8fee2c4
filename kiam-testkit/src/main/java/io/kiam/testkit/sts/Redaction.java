package io.kiam.testkit.sts;

/** Hides values that must not appear in logs or toString() output. */
final class Redaction {
  private Redaction() {}

  /** Masks a secret-ish value but keeps its presence and length visible for debugging. */
  static String mask(String value) {
    return value == null ? "null" : "****(" + value.length() + " chars)";
  }
}
