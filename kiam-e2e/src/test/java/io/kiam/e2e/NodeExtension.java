package io.kiam.e2e;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kiam.e2e.net.Commands;
import io.kiam.e2e.net.NodeNetwork;
import io.kiam.e2e.net.RunNames;
import io.kiam.e2e.node.KiamNode;
import io.kiam.e2e.node.NodeOptions;
import io.kiam.e2e.node.TestkitSts;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Builds ONE node per test class (the cases share it to keep CI time low) and removes everything
 * after the class, whatever happened. Skips visibly when not root or without iproute2.
 */
public final class NodeExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {
  private static final ExtensionContext.Namespace STORE =
      ExtensionContext.Namespace.create(NodeExtension.class);

  @Override
  public void beforeAll(ExtensionContext context) {
    assumeTrue(
        Commands.available("ip"),
        "SKIPPED: the e2e node needs iproute2 (`ip`), which is not installed");
    assumeTrue(
        Commands.run("id", "-u").strip().equals("0"),
        "SKIPPED: the e2e node needs root (network namespaces, iptables); run as root");
    if (!Commands.available("iptables")) {
      throw new IllegalStateException("the e2e node needs iptables: apt-get install iptables");
    }
    RunNames names = RunNames.random();
    NodeShape shape = context.getRequiredTestClass().getAnnotation(NodeShape.class);
    Path workDir = Path.of(property("kiam.e2e.workDir")).resolve(names.prefix());
    NodeOptions options =
        new NodeOptions(
            names,
            null,
            workDir,
            Path.of(System.getProperty("java.home"), "bin", "java"),
            Path.of(property("kiam.e2e.serverJar")),
            Path.of(property("kiam.e2e.agentJar")),
            Path.of(property("kiam.e2e.harnessJar")),
            host ->
                inNode(context)
                    ? TestkitSts.startForNodeRole(host, roles(context))
                    : TestkitSts.start(host, roles(context)),
            shape == null ? 1 : shape.servers(),
            null,
            List.of(),
            shape == null ? List.of() : List.of(shape.agentFlags()));
    if (inNode(context)) {
      options = options.withServersInNode();
    }
    NodeImds imds = context.getRequiredTestClass().getAnnotation(NodeImds.class);
    if (imds != null) {
      options = options.withMetadataMode(imds.value());
    }
    KiamNode node = KiamNode.start(options);
    context.getStore(STORE).put(KiamNode.class, node);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    KiamNode node = context.getStore(STORE).remove(KiamNode.class, KiamNode.class);
    if (node != null) {
      node.close();
      assertNothingLeftBehind(node.network().names());
    }
  }

  /** "A failure leaves nothing behind": checked after every class, whatever its cases did. */
  private static void assertNothingLeftBehind(RunNames names) {
    List<String> namespaces = NodeNetwork.namespacesWithPrefix(names.prefix() + "-");
    boolean veth = Commands.runQuietly("ip", "link", "show", names.uplinkHostSide()).ok();
    String routes = Commands.run("ip", "route");
    boolean marked = true;
    // killed processes take a moment to be reaped
    for (int i = 0; i < 50 && marked; i++) {
      marked =
          ProcessHandle.allProcesses()
              .anyMatch(
                  p ->
                      p.isAlive()
                          && p.info()
                              .arguments()
                              .map(a -> List.of(a).contains(names.processMarker()))
                              .orElse(false));
      if (marked) {
        PodChecks.sleep(100);
      }
    }
    if (!namespaces.isEmpty() || veth || routes.contains(names.uplinkHostSide()) || marked) {
      throw new IllegalStateException(
          "run "
              + names.prefix()
              + " left behind: namespaces="
              + namespaces
              + " veth="
              + veth
              + " processes="
              + marked
              + " routes="
              + routes);
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == KiamNode.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return context.getStore(STORE).get(KiamNode.class, KiamNode.class);
  }

  private static boolean inNode(ExtensionContext context) {
    return context.getRequiredTestClass().isAnnotationPresent(ServersInNode.class);
  }

  private static List<String> roles(ExtensionContext context) {
    StsRoles roles = context.getRequiredTestClass().getAnnotation(StsRoles.class);
    if (roles == null) {
      throw new IllegalStateException("annotate the test class with @StsRoles");
    }
    return List.of(roles.value());
  }

  private static String property(String name) {
    String value = System.getProperty(name);
    if (value == null) {
      throw new IllegalStateException(
          "system property " + name + " is not set: run the e2e tests through `mvn verify`");
    }
    return value;
  }
}
