package io.kiam.docs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The repository checkout the tests read (surefire passes its root as kiam.repo.root). */
final class Repo {
  private Repo() {}

  static Path root() {
    String configured = System.getProperty("kiam.repo.root");
    Path root = Path.of(configured == null ? ".." : configured).toAbsolutePath().normalize();
    if (!Files.isDirectory(root.resolve("docs"))) {
      throw new IllegalStateException("no docs/ under " + root + " (set -Dkiam.repo.root)");
    }
    return root;
  }

  static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<Path> files(Path dir, String suffix) {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(p -> p.toString().endsWith(suffix))
          .filter(p -> !p.toString().contains("/target/"))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
