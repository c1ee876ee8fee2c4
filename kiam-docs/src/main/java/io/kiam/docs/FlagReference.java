package io.kiam.docs;

import io.kiam.common.cli.DurationConverter;
import io.kiam.common.compat.KiamFlag;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Renders a daemon's flags, read from its picocli command spec, as the Markdown tables that
 * docs/operations.md carries between {@code <!-- flags:NAME:begin -->} and {@code <!--
 * flags:NAME:end -->} markers, so the reference cannot drift from the code.
 */
public final class FlagReference {
  private FlagReference() {}

  /**
   * One table per command: the top-level command under {@code key}, each subcommand under {@code
   * key-SUBCOMMAND} (picocli's own {@code help} subcommand is left out).
   */
  public static Map<String, String> tables(String key, CommandLine command) {
    Map<String, String> out = new LinkedHashMap<>();
    out.put(key, table(command.getCommandSpec()));
    for (Map.Entry<String, CommandLine> sub : command.getSubcommands().entrySet()) {
      if (sub.getValue().getCommandSpec().helpCommand()) {
        continue;
      }
      out.putAll(tables(key + "-" + sub.getKey(), sub.getValue()));
    }
    return out;
  }

  /** The Markdown table of one command's visible options, in declaration order. */
  public static String table(CommandSpec spec) {
    StringBuilder md = new StringBuilder();
    md.append("| Flag | Default | Description |\n");
    md.append("| --- | --- | --- |\n");
    for (OptionSpec option : spec.options()) {
      if (option.hidden()) {
        continue;
      }
      String flag = flag(option);
      // Raw annotation text for the rest: ${env:AWS_REGION:-us-east-1} must not become this
      // machine's region. (Names need interpolation: picocli's own help names are variables.)
      spec.interpolateVariables(false);
      try {
        md.append("| ")
            .append(cell(flag))
            .append(" | ")
            .append(cell(defaultOf(option)))
            .append(" | ")
            .append(cell(description(option)))
            .append(" |\n");
      } finally {
        spec.interpolateVariables(true);
      }
    }
    return md.toString();
  }

  /**
   * The Markdown table of uswitch/kiam v4's flags for one command and what kiam-java does with each
   * (docs/migrating.md).
   */
  public static String kiamTable(List<KiamFlag> flags) {
    StringBuilder md = new StringBuilder();
    md.append("| kiam v4 flag | kiam-java | meaning |\n");
    md.append("| --- | --- | --- |\n");
    for (KiamFlag flag : flags) {
      md.append("| `")
          .append(flag.name())
          .append("` | ")
          .append(flag.fate().text())
          .append(" | ")
          .append(cell(flag.meaning()))
          .append(" |\n");
    }
    return md.toString();
  }

  private static String flag(OptionSpec option) {
    String names =
        List.of(option.names()).stream().map(n -> "`" + n + "`").collect(Collectors.joining(", "));
    if (option.arity().max() > 0 && !option.paramLabel().isEmpty()) {
      names += " `" + label(option) + "`";
    }
    List<String> notes = new ArrayList<>();
    if (option.required()) {
      notes.add("required");
    }
    if (option.isMultiValue()) {
      notes.add("repeatable");
    }
    return notes.isEmpty() ? names : names + " (" + String.join(", ", notes) + ")";
  }

  /** The author's label, or one from the type when picocli made one up from the field name. */
  private static String label(OptionSpec option) {
    String label = option.paramLabel();
    if (!label.matches("<[A-Za-z0-9]+>")) {
      return label;
    }
    Class<?> type = option.type();
    return switch (type.getSimpleName()) {
      case "Path", "File" -> "FILE";
      case "InetSocketAddress" -> "HOST:PORT";
      case "Duration" -> "DURATION";
      case "URI", "URL" -> "URL";
      case "int", "Integer", "long", "Long" -> "N";
      default ->
          type.isEnum()
              ? String.join("|", enumNames(type))
              // From the flag, not the field: --host-interface IFACE, not HOST_INTERFACES.
              : option
                  .longestName()
                  .replaceFirst("^-+", "")
                  .replace('-', '_')
                  .toUpperCase(Locale.ROOT);
    };
  }

  private static List<String> enumNames(Class<?> type) {
    List<String> names = new ArrayList<>();
    for (Object constant : type.getEnumConstants()) {
      names.add(constant.toString().toLowerCase(Locale.ROOT));
    }
    return names;
  }

  private static String defaultOf(OptionSpec option) {
    if (option.usageHelp() || option.versionHelp()) {
      return "";
    }
    String declared = option.defaultValue();
    if (declared != null) {
      if (declared.isEmpty()) {
        return "(empty)";
      }
      return declared.startsWith("${env:") ? envDefault(declared) : "`" + declared + "`";
    }
    if (!option.hasInitialValue()) {
      return "";
    }
    Object initial = option.initialValue();
    if (initial == null
        || (initial instanceof Collection<?> c && c.isEmpty())
        || (initial instanceof Map<?, ?> m && m.isEmpty())
        || "".equals(initial)) {
      return "";
    }
    if (initial instanceof Duration d) {
      return "`" + DurationConverter.format(d) + "`";
    }
    return "`" + initial + "`";
  }

  /** {@code ${env:HOST_IP}} or {@code ${env:HOST_IP:-x}} as a reader wants to see it. */
  private static String envDefault(String declared) {
    String body = declared.substring("${env:".length(), declared.length() - 1);
    int fallback = body.indexOf(":-");
    if (fallback < 0) {
      return "env `" + body + "`";
    }
    return "env `" + body.substring(0, fallback) + "`, else `" + body.substring(fallback + 2) + "`";
  }

  private static String description(OptionSpec option) {
    String text = String.join(" ", option.description()).trim();
    String shownDefault = option.defaultValue() == null ? "" : option.defaultValue();
    // The Default column shows it; "(default: ...)" in the text would say it twice.
    return text.replaceAll("\\s*\\(default: \\$\\{DEFAULT-VALUE}\\)", "")
        .replace("${DEFAULT-VALUE}", shownDefault)
        .replace("${COMPLETION-CANDIDATES}", candidates(option));
  }

  private static String candidates(OptionSpec option) {
    List<String> values = new ArrayList<>();
    if (option.completionCandidates() != null) {
      option.completionCandidates().forEach(values::add);
    }
    return String.join(", ", values);
  }

  private static String cell(String text) {
    return text.replace("\n", " ").replace("|", "\\|");
  }
}
