package io.kiam.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiam.agent.AgentCommand;
import io.kiam.agent.KiamAgentFlags;
import io.kiam.common.cli.KiamCli;
import io.kiam.server.KiamHealthFlags;
import io.kiam.server.KiamServerFlags;
import io.kiam.server.ServerCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * docs/operations.md's flag tables must be exactly what the daemons' picocli definitions generate;
 * run with -Dkiam.docs.regenerate=true to rewrite them.
 */
class FlagReferenceTest {
  static final String REGENERATE =
      "mvn -B -q -pl kiam-docs test -Dtest=FlagReferenceTest -Dkiam.docs.regenerate=true";

  private static Map<String, CommandLine> daemons() {
    Map<String, CommandLine> out = new LinkedHashMap<>();
    out.put("server", KiamCli.commandLine("kiam-server", new ServerCommand()));
    out.put("agent", KiamCli.commandLine("kiam-agent", new AgentCommand()));
    return out;
  }

  private static Map<String, String> generated() {
    Map<String, String> tables = new LinkedHashMap<>();
    daemons().forEach((key, cli) -> tables.putAll(FlagReference.tables(key, cli)));
    return tables;
  }

  @Test
  void operationsMdCarriesTheFlagsTheDaemonsDefine() throws IOException {
    Path doc = Repo.root().resolve("docs/operations.md");
    String current = Repo.read(doc);
    String expected = MarkedSections.splice(current, generated());
    if (Boolean.getBoolean("kiam.docs.regenerate")) {
      Files.writeString(doc, expected);
      return;
    }
    assertEquals(
        expected,
        current,
        "docs/operations.md's flag tables differ from the daemons' flags; regenerate with:\n  "
            + REGENERATE
            + "\n");
  }

  private static Map<String, String> kiamTables() {
    Map<String, String> tables = new LinkedHashMap<>();
    tables.put("kiam-server", FlagReference.kiamTable(KiamServerFlags.TABLE));
    tables.put("kiam-agent", FlagReference.kiamTable(KiamAgentFlags.TABLE));
    tables.put("kiam-health", FlagReference.kiamTable(KiamHealthFlags.TABLE));
    return tables;
  }

  @Test
  void migratingMdCarriesWhatBecomesOfEachKiamFlag() throws IOException {
    Path doc = Repo.root().resolve("docs/migrating.md");
    String current = Repo.read(doc);
    String expected = MarkedSections.splice(current, kiamTables());
    if (Boolean.getBoolean("kiam.docs.regenerate")) {
      Files.writeString(doc, expected);
      return;
    }
    assertEquals(
        expected,
        current,
        "docs/migrating.md's kiam flag tables differ from the code; regenerate with:\n  "
            + REGENERATE
            + "\n");
  }

  @Test
  void everyKiamFlagIsAcceptedByItsCommand() {
    Map<String, CommandLine> commands = new LinkedHashMap<>();
    commands.put("server", KiamCli.commandLine("kiam-server", new ServerCommand()));
    commands.put("agent", KiamCli.commandLine("kiam-agent", new AgentCommand()));
    commands.put(
        "health",
        KiamCli.commandLine("kiam-server", new ServerCommand()).getSubcommands().get("health"));
    Map<String, java.util.List<io.kiam.common.compat.KiamFlag>> tables =
        Map.of(
            "server", KiamServerFlags.TABLE,
            "agent", KiamAgentFlags.TABLE,
            "health", KiamHealthFlags.TABLE);
    commands.forEach(
        (key, cli) -> {
          for (var flag : tables.get(key)) {
            assertTrue(
                cli.getCommandSpec().findOption(flag.name()) != null,
                key + " does not accept " + flag.name());
          }
        });
  }

  @Test
  void everyTableInTheDocHasACommandAndEveryCommandATable() {
    String doc = Repo.read(Repo.root().resolve("docs/operations.md"));
    Set<String> marked = new TreeSet<>();
    Matcher m = Pattern.compile("<!-- flags:(\\S+):begin -->").matcher(doc);
    while (m.find()) {
      marked.add(m.group(1));
    }
    assertEquals(new TreeSet<>(generated().keySet()), marked, "flag tables in docs/operations.md");
  }

  @Test
  void everyVisibleOptionHasARow() {
    daemons()
        .forEach(
            (key, cli) -> {
              String table = FlagReference.table(cli.getCommandSpec());
              for (OptionSpec option : cli.getCommandSpec().options()) {
                if (!option.hidden()) {
                  assertTrue(
                      table.contains("`" + option.longestName() + "`"),
                      key + " table lacks " + option.longestName() + ":\n" + table);
                }
              }
            });
  }

  @Test
  void spliceReplacesOnlyBetweenMarkersAndFailsWithoutThem() {
    String doc = "intro\n<!-- flags:x:begin -->\nold\n<!-- flags:x:end -->\noutro\n";
    assertEquals(
        "intro\n<!-- flags:x:begin -->\nnew\n<!-- flags:x:end -->\noutro\n",
        MarkedSections.splice(doc, Map.of("x", "new\n")));
    IllegalArgumentException missing =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> MarkedSections.splice(doc, Map.of("y", "t")));
    assertTrue(missing.getMessage().contains("flags:y:begin"));
  }
}
