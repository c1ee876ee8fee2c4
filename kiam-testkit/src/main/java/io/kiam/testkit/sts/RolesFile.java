package io.kiam.testkit.sts;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads roles from a text file, one per line: {@code NAME_OR_ARN [externalId=ID]
 * [maxSessionDuration=SECONDS] [principal=ARN]... [trust=ACTION[,ACTION]]} where ACTION is
 * sts:TagSession or sts:SetSourceIdentity; '#' starts a comment.
 */
final class RolesFile {
  private RolesFile() {}

  static List<RoleSpec> read(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file);
    List<RoleSpec> roles = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).replaceFirst("#.*", "").strip();
      if (line.isEmpty()) {
        continue;
      }
      try {
        roles.add(parseLine(line));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(file + " line " + (i + 1) + ": " + e.getMessage(), e);
      }
    }
    return roles;
  }

  static RoleSpec parseLine(String line) {
    String[] tokens = line.split("\\s+");
    RoleSpec role = RoleSpec.of(tokens[0]);
    List<String> principals = new ArrayList<>();
    List<String> trusted = new ArrayList<>();
    for (int t = 1; t < tokens.length; t++) {
      int eq = tokens[t].indexOf('=');
      String key = eq < 0 ? tokens[t] : tokens[t].substring(0, eq);
      String value = eq < 0 ? "" : tokens[t].substring(eq + 1);
      switch (key) {
        case "externalId" -> role = role.requiringExternalId(value);
        case "maxSessionDuration" -> role = role.withMaxSessionDuration(seconds(value));
        case "principal" -> principals.add(value);
        case "trust" -> trusted.addAll(List.of(value.split(",")));
        default ->
            throw new IllegalArgumentException(
                "unknown setting '"
                    + key
                    + "' (known: externalId, maxSessionDuration, principal, trust)");
      }
    }
    if (!principals.isEmpty()) {
      role = role.allowingOnly(principals.toArray(String[]::new));
    }
    return trusted.isEmpty() ? role : role.trusting(trusted.toArray(String[]::new));
  }

  private static Duration seconds(String value) {
    try {
      return Duration.ofSeconds(Long.parseLong(value));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "maxSessionDuration must be a number of seconds, not '" + value + "'", e);
    }
  }
}
