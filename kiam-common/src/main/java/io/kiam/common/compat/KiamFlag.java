package io.kiam.common.compat;

import java.util.Objects;

/**
 * One uswitch/kiam v4 flag as kiam-java treats it: mapped to a setting of ours, accepted and
 * ignored (with the reason logged once), or refused.
 *
 * @param name the flag as kiam spelled it, e.g. {@code --sync}
 * @param fate what kiam-java does with it
 * @param meaning for a mapped flag, what it sets; otherwise why it is ignored or refused
 */
public record KiamFlag(String name, Fate fate, String meaning) {
  /** What kiam-java does with a kiam flag. */
  public enum Fate {
    MAPPED("mapped"),
    IGNORED("accepted, ignored with a warning"),
    REFUSED("refused (exit 2)");

    private final String text;

    Fate(String text) {
      this.text = text;
    }

    /** How the migration table says it. */
    public String text() {
      return text;
    }
  }

  public KiamFlag {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(fate, "fate");
    Objects.requireNonNull(meaning, "meaning");
    if (!name.startsWith("--")) {
      throw new IllegalArgumentException("a flag starts with --: " + name);
    }
  }

  public static KiamFlag mapped(String name, String meaning) {
    return new KiamFlag(name, Fate.MAPPED, meaning);
  }

  public static KiamFlag ignored(String name, String why) {
    return new KiamFlag(name, Fate.IGNORED, why);
  }

  public static KiamFlag refused(String name, String why) {
    return new KiamFlag(name, Fate.REFUSED, why);
  }
}
