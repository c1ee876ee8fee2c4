package io.kiam.chart;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/** The chart in deploy/helm/kiam as Helm itself renders and lints it, through helm-java. */
final class KiamChart {
  static final String RELEASE = "kiam";
  static final String NAMESPACE = "kiam-system";
  static final String SERVER = "kiam-server";
  static final String AGENT = "kiam-agent";

  /** What the cluster reports; embedded Helm would otherwise claim v1.20.0, below kubeVersion. */
  static final String KUBE_VERSION = "v1.30.0";

  static final Path REPO_ROOT = locateRepoRoot();
  static final Path DIR = REPO_ROOT.resolve("deploy/helm/kiam");

  private static final KubernetesSerialization YAML = new KubernetesSerialization();
  // Renders are pure functions of the values (but for fresh certificates), so test classes share
  // them.
  private static final Map<String, Rendered> RENDERS = new ConcurrentHashMap<>();

  private KiamChart() {}

  /** The chart rendered with these values (YAML overriding values.yaml); "" for the defaults. */
  static Rendered render(String valuesYaml) {
    return RENDERS.computeIfAbsent(valuesYaml, v -> Rendered.parse(template(RELEASE, v)));
  }

  /** Helm's output, or Helm's error as an IllegalStateException. */
  static String template(String release, String valuesYaml) {
    LoopbackApiServer.client();
    Path values = writeTemp("values-", ".yaml", valuesYaml);
    try {
      return new Helm(DIR)
          .template()
          .withName(release)
          .withNamespace(NAMESPACE)
          .withKubeVersion(KUBE_VERSION)
          .withValuesFile(values)
          .call();
    } finally {
      deleteQuietly(values);
    }
  }

  /**
   * {@code helm lint --strict} with these values. helm-java's lint takes no values, so the chart is
   * copied and its values.yaml replaced by the defaults merged with {@code valuesYaml}.
   */
  static LintResult lintStrict(String valuesYaml) {
    Path copy = copyChart();
    try {
      Map<String, Object> merged = merge(readYaml(DIR.resolve("values.yaml")), parse(valuesYaml));
      Files.writeString(copy.resolve("values.yaml"), YAML.asYaml(merged));
      LoopbackApiServer.client();
      return new Helm(copy).lint().strict().call();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      deleteTree(copy);
    }
  }

  static Path copyChart() {
    try {
      Path target = Files.createTempDirectory("kiam-chart-").resolve("kiam");
      try (Stream<Path> files = Files.walk(DIR)) {
        for (Path source : (Iterable<Path>) files::iterator) {
          Path dest = target.resolve(DIR.relativize(source).toString());
          if (Files.isDirectory(source)) {
            Files.createDirectories(dest);
          } else {
            Files.copy(source, dest);
          }
        }
      }
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Map<String, Object> readYaml(Path file) {
    try {
      return parse(Files.readString(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> parse(String yaml) {
    if (yaml.isBlank()) {
      return new LinkedHashMap<>();
    }
    return YAML.unmarshal(yaml, LinkedHashMap.class);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> merge(Map<String, Object> base, Map<String, Object> override) {
    Map<String, Object> out = new LinkedHashMap<>(base);
    override.forEach(
        (key, value) -> {
          Object old = out.get(key);
          if (old instanceof Map<?, ?> oldMap && value instanceof Map<?, ?> newMap) {
            out.put(
                key, merge((Map<String, Object>) oldMap, (Map<String, Object>) (Map<?, ?>) newMap));
          } else {
            out.put(key, value);
          }
        });
    return out;
  }

  static Path writeTemp(String prefix, String suffix, String content) {
    try {
      Path file = Files.createTempFile(prefix, suffix);
      Files.writeString(file, content);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void deleteTree(Path root) {
    try (Stream<Path> files = Files.walk(root.getParent())) {
      files.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(KiamChart::deleteQuietly);
    } catch (IOException e) {
      // a leftover temp directory is not worth failing a test for
    }
  }

  private static void deleteQuietly(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      // see deleteTree
    }
  }

  private static Path locateRepoRoot() {
    Path dir = Paths.get("").toAbsolutePath();
    while (dir != null && !Files.isDirectory(dir.resolve("deploy/helm/kiam"))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException(
          "deploy/helm/kiam not found above " + Paths.get("").toAbsolutePath());
    }
    return dir;
  }
}
