package io.kiam.chart;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** One `helm template` output, parsed by fabric8 into typed Kubernetes objects. */
record Rendered(String yaml, List<HasMetadata> objects) {
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
  private static final Pattern DOCUMENT_SEPARATOR = Pattern.compile("(?m)^---\\s*$");

  static Rendered parse(String yaml) {
    List<HasMetadata> objects = new ArrayList<>();
    for (String document : DOCUMENT_SEPARATOR.split(yaml)) {
      if (document.lines().allMatch(line -> line.isBlank() || line.startsWith("#"))) {
        continue;
      }
      objects.add(SERIALIZATION.unmarshal(document, HasMetadata.class));
    }
    return new Rendered(yaml, List.copyOf(objects));
  }

  <T extends HasMetadata> List<T> all(Class<T> type) {
    return objects.stream().filter(type::isInstance).map(type::cast).toList();
  }

  /** The one object of this type and name; fails the test when there is none or several. */
  <T extends HasMetadata> T one(Class<T> type, String name) {
    List<T> found = all(type).stream().filter(o -> name.equals(o.getMetadata().getName())).toList();
    assertEquals(1, found.size(), () -> type.getSimpleName() + " " + name + " in:\n" + kinds());
    return found.get(0);
  }

  /** Objects of kinds fabric8 has no class for (cert-manager, Prometheus Operator). */
  List<GenericKubernetesResource> generic(String apiVersion, String kind) {
    return all(GenericKubernetesResource.class).stream()
        .filter(o -> apiVersion.equals(o.getApiVersion()) && kind.equals(o.getKind()))
        .toList();
  }

  GenericKubernetesResource oneGeneric(String apiVersion, String kind, String name) {
    List<GenericKubernetesResource> found =
        generic(apiVersion, kind).stream()
            .filter(o -> name.equals(o.getMetadata().getName()))
            .toList();
    assertEquals(1, found.size(), () -> kind + " " + name + " in:\n" + kinds());
    return found.get(0);
  }

  String kinds() {
    StringBuilder out = new StringBuilder();
    for (HasMetadata o : objects) {
      out.append("  ")
          .append(o.getKind())
          .append(' ')
          .append(o.getMetadata().getName())
          .append('\n');
    }
    return out.toString();
  }
}
