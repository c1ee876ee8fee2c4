package io.kiam.chart;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.marcnuri.helm.Helm;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** What `helm install` prints: where kiam runs and the annotations from Kiam's example. */
class NotesTest {

  @Test
  void notesShowTheNamespaceAndPodAnnotations() throws Exception {
    LoopbackApiServer.client();
    Path values = Files.createTempFile("values-", ".yaml");
    try {
      String output =
          new Helm(KiamChart.DIR)
              .install()
              .withName(KiamChart.RELEASE)
              .withNamespace(KiamChart.NAMESPACE)
              .withKubeVersion(KiamChart.KUBE_VERSION)
              .withValuesFile(values)
              .dryRun()
              .clientOnly()
              .call()
              .getOutput();
      assertTrue(output.contains("installed in namespace kiam-system"), output);
      assertTrue(output.contains("iam.amazonaws.com/permitted: \"shop-.*\""), output);
      assertTrue(output.contains("iam.amazonaws.com/role: shop-checkout"), output);
      assertTrue(output.contains("redirecting 169.254.169.254:80 from cali+"), output);
      assertTrue(output.contains("dns:///kiam-server.kiam-system.svc.cluster.local:9610"), output);
    } finally {
      Files.deleteIfExists(values);
    }
  }
}
