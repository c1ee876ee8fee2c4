package io.kiam.common.compat;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/**
 * The kiam v4 flags a command accepts so that kiam's manifests start unchanged, and the single
 * warning each ignored one earns when it is given.
 */
public final class KiamFlags {
  private static final Logger log = LoggerFactory.getLogger(KiamFlags.class);

  private KiamFlags() {}

  /**
   * Logs one WARN per given flag that this table marks ignored, naming the flag and why; call after
   * logging is configured.
   */
  public static void warnIgnored(List<KiamFlag> table, Set<String> given) {
    for (KiamFlag flag : table) {
      if (flag.fate() == KiamFlag.Fate.IGNORED && given.contains(flag.name())) {
        log.atWarn()
            .addKeyValue("flag", flag.name())
            .log("kiam flag {} is accepted but ignored: {}", flag.name(), flag.meaning());
      }
    }
  }

  /**
   * {@link #warnIgnored(List, Set)} for the flags picocli matched on the command that mixes the
   * table's options in.
   */
  public static void warnIgnored(List<KiamFlag> table, CommandSpec command) {
    warnIgnored(table, given(table, command));
  }

  /** Which of the table's flags the command line gave. */
  public static Set<String> given(List<KiamFlag> table, CommandSpec command) {
    Set<String> given = new LinkedHashSet<>();
    ParseResult parsed =
        command == null || command.commandLine() == null
            ? null
            : command.commandLine().getParseResult();
    if (parsed == null) {
      return given;
    }
    for (KiamFlag flag : table) {
      if (parsed.hasMatchedOption(flag.name())) {
        given.add(flag.name());
      }
    }
    return given;
  }

  /** The table's entry for a flag name (fails when the table lacks it: a programming error). */
  public static KiamFlag find(List<KiamFlag> table, String name) {
    return table.stream()
        .filter(f -> f.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no kiam flag " + name));
  }
}
