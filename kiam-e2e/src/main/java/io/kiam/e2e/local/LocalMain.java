package io.kiam.e2e.local;

import io.kiam.common.cli.KiamCli;
import io.kiam.e2e.net.RunNames;
import io.kiam.e2e.node.ChartJvm;
import io.kiam.e2e.node.DaemonImages;
import io.kiam.e2e.node.ExternalSts;
import io.kiam.e2e.node.KiamNode;
import io.kiam.e2e.node.NodeOptions;
import io.kiam.e2e.node.RunRegistry;
import io.kiam.e2e.node.StsHandle;
import io.kiam.e2e.node.TestkitSts;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProviderChain;
import software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.auth.credentials.SystemPropertyCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;

/**
 * The local mode's supervisor (`./kiam-local up` starts it in the background): builds the node from
 * a config, serves the script's pod, namespace, fault and status commands on a loopback control
 * endpoint, writes the status file once pods can get credentials, and removes everything on
 * SIGTERM. `cleanup` removes a crashed supervisor's leftovers.
 */
@Command(
    name = "kiam-local-supervisor",
    mixinStandardHelpOptions = true,
    subcommands = {LocalMain.Run.class, LocalMain.Cleanup.class})
public final class LocalMain {
  public static void main(String[] args) {
    System.exit(KiamCli.run("kiam-local-supervisor", new LocalMain(), args));
  }

  /** Runs the node in the foreground until SIGTERM. */
  @Command(name = "run", mixinStandardHelpOptions = true)
  static final class Run implements Callable<Integer> {
    @Option(names = "--config", description = "namespaces and pods (default: the Kiam example)")
    Path config;

    @Option(names = "--state-dir", required = true, description = "where status.json, logs, PKI go")
    Path stateDir;

    @Option(names = "--server-jar", required = true)
    Path serverJar;

    @Option(names = "--agent-jar", required = true)
    Path agentJar;

    @Option(names = "--harness-jar", required = true)
    Path harnessJar;

    @Option(names = "--sts-endpoint", description = "a real STS endpoint (default: the testkit's)")
    URI stsEndpoint;

    @Option(names = "--region", description = "signing region of --sts-endpoint")
    String region;

    @Option(names = "--account", description = "AWS account of the roles (default: the caller's)")
    String account;

    @Option(
        names = "--servers",
        defaultValue = "2",
        description = "how many kiam-servers (default ${DEFAULT-VALUE}, as the chart)")
    int servers;

    @Option(
        names = "--chart-values",
        description = "the chart's values.yaml, whose JVM settings the daemons run with")
    Path chartValues;

    @Option(
        names = "--prefix",
        defaultValue = RunNames.LOCAL_PREFIX,
        description = "names of namespaces and interfaces start with it (default ${DEFAULT-VALUE})")
    String prefix;

    @Option(
        names = "--block",
        defaultValue = "250",
        description =
            "address block 10.231.BLOCK.0/24, or 'any' free one (default ${DEFAULT-VALUE})")
    String block;

    @Option(
        names = "--server-image",
        description = "run kiam-server from this image (podman) instead of --server-jar")
    String serverImage;

    @Option(
        names = "--agent-image",
        description = "run kiam-agent from this image (podman) instead of --agent-jar")
    String agentImage;

    @Option(
        names = "--containers-conf",
        description = "podman's containers.conf for the images (deploy/images/containers.conf)")
    Path containersConf;

    @Override
    public Integer call() throws Exception {
      if ((stsEndpoint == null) != (region == null)) {
        throw new IllegalArgumentException("--sts-endpoint and --region go together");
      }
      LocalConfig localConfig = readConfig();
      Files.createDirectories(stateDir);
      Path status = stateDir.resolve("status.json");
      Files.deleteIfExists(status);
      NodeOptions options =
          new NodeOptions(
              new RunNames(prefix),
              block.equals("any") ? null : Integer.valueOf(block),
              stateDir.toAbsolutePath(),
              Path.of(System.getProperty("java.home"), "bin", "java"),
              serverJar.toAbsolutePath(),
              agentJar.toAbsolutePath(),
              harnessJar.toAbsolutePath(),
              sts(localConfig),
              servers,
              chartValues == null ? null : ChartJvm.read(chartValues),
              localConfig.server().flags(),
              localConfig.agent().flags(),
              serverImage == null && agentImage == null
                  ? null
                  : new DaemonImages(
                      serverImage,
                      agentImage,
                      containersConf == null ? null : containersConf.toAbsolutePath()));
      if (stsEndpoint == null && serverImage == null) {
        // as the chart places them: in the node's host network, on the node's role from its
        // metadata service, base ARN autodetected; a real STS would refuse the stand-in's keys.
        // Server images run in the machine's network (podman --network=host) on the STS's keys.
        options = options.withServersInNode();
      }
      KiamNode node = KiamNode.start(options);
      LocalControl control;
      try {
        if (node.sts() instanceof TestkitSts local) {
          localConfig.sts().deny().forEach(local.endpoint().faults()::denyRole);
        }
        LocalNode.populate(node, localConfig);
        LocalNode.awaitCredentials(node, localConfig);
        LocalLab lab = new LocalLab(node, localConfig, stateDir.resolve("logs"));
        Runnable writeStatus = () -> lab.status().write(status);
        control = LocalControl.start(lab, stateDir.resolve("control"), writeStatus);
        writeStatus.run();
      } catch (RuntimeException e) {
        node.close();
        throw e;
      }
      System.err.println("kiam-local: ready; status in " + status);
      Runtime.getRuntime().addShutdownHook(new Thread(control::close, "kiam-local-control-stop"));
      new CountDownLatch(1).await(); // until SIGTERM: KiamNode's shutdown hook removes everything
      return 0;
    }

    private LocalConfig readConfig() throws IOException {
      if (config == null) {
        try (InputStream in = LocalMain.class.getResourceAsStream("/kiam-local.yaml")) {
          return LocalConfig.read(in, "the default kiam-local.yaml");
        }
      }
      try (InputStream in = Files.newInputStream(config)) {
        return LocalConfig.read(in, config.toString());
      }
    }

    private Function<String, StsHandle> sts(LocalConfig localConfig) {
      if (stsEndpoint == null) {
        return host -> TestkitSts.startSandboxForNodeRole(host, localConfig.sts().roles());
      }
      Map<String, String> environment = new LinkedHashMap<>();
      System.getenv()
          .forEach(
              (k, v) -> {
                if (k.startsWith("AWS_") && !k.equals("AWS_EC2_METADATA_DISABLED")) {
                  environment.put(k, v);
                }
              });
      String accountId = account != null ? account : callerAccount();
      return host -> ExternalSts.start(stsEndpoint, region, accountId, environment, host);
    }

    /** The account of the user's own credentials; never through instance metadata. */
    private String callerAccount() {
      var credentials =
          AwsCredentialsProviderChain.of(
              SystemPropertyCredentialsProvider.create(),
              EnvironmentVariableCredentialsProvider.create(),
              ProfileCredentialsProvider.create());
      try (StsClient sts =
          StsClient.builder()
              .endpointOverride(stsEndpoint)
              .region(Region.of(region))
              .credentialsProvider(credentials)
              .httpClient(UrlConnectionHttpClient.create())
              .build()) {
        return sts.getCallerIdentity().account();
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(
            "cannot learn your AWS account from "
                + stsEndpoint
                + " ("
                + e.getMessage()
                + "); give real AWS credentials in the environment, or --account",
            e);
      }
    }
  }

  /** Removes every namespace, rule, veth and process of the local mode; safe to repeat. */
  @Command(name = "cleanup", mixinStandardHelpOptions = true)
  static final class Cleanup implements Callable<Integer> {
    @Option(names = "--prefix", defaultValue = RunNames.LOCAL_PREFIX)
    String prefix;

    @Override
    public Integer call() {
      RunRegistry.removeEverything(new RunNames(prefix));
      return 0;
    }
  }
}
