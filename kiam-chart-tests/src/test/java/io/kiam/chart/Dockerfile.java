package io.kiam.chart;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A Dockerfile read as Docker reads it: continuation lines joined, comments dropped, instructions
 * grouped by stage. No Docker engine runs here, so this is as far as the images can be checked.
 */
record Dockerfile(Path path, List<Stage> stages) {

  /** One instruction: its keyword upper-cased and the rest of the line. */
  record Instruction(String keyword, String arguments) {}

  /** The instructions from one FROM to the next. */
  record Stage(String from, List<Instruction> instructions) {
    List<String> all(String keyword) {
      return instructions.stream()
          .filter(i -> i.keyword().equals(keyword))
          .map(Instruction::arguments)
          .toList();
    }

    String last(String keyword) {
      List<String> found = all(keyword);
      return found.isEmpty() ? null : found.get(found.size() - 1);
    }
  }

  static Dockerfile read(Path path) {
    List<String> lines;
    try {
      lines = Files.readAllLines(path);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> logical = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : lines) {
      String trimmed = line.strip();
      if (trimmed.startsWith("#") || (trimmed.isEmpty() && current.isEmpty())) {
        continue;
      }
      if (trimmed.endsWith("\\")) {
        current.append(trimmed, 0, trimmed.length() - 1).append(' ');
        continue;
      }
      current.append(trimmed);
      logical.add(current.toString().strip());
      current.setLength(0);
    }
    List<Stage> stages = new ArrayList<>();
    List<Instruction> instructions = null;
    for (String line : logical) {
      String[] parts = line.split("\\s+", 2);
      String keyword = parts[0].toUpperCase(Locale.ROOT);
      String arguments = parts.length > 1 ? parts[1] : "";
      if (keyword.equals("FROM")) {
        instructions = new ArrayList<>();
        stages.add(new Stage(arguments, instructions));
      } else if (instructions == null) {
        throw new IllegalStateException(path + ": " + keyword + " before the first FROM");
      } else {
        instructions.add(new Instruction(keyword, arguments));
      }
    }
    return new Dockerfile(path, List.copyOf(stages));
  }

  Stage runtime() {
    return stages.get(stages.size() - 1);
  }
}
