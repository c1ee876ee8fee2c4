package io.kiam.server.explain;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.kiam.common.logging.LogFormat;
import io.kiam.common.logging.Logging;
import io.kiam.server.policy.ArnResolver;
import io.kiam.server.sts.DefaultArnResolver;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.IModelTransformer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code kiam-server explain}: reads one pod and its namespace (one GET each), runs the server's
 * own policy on them and prints the decision, the reason, the role ARN and the session name; with
 * {@code --check-sts} also tries the AssumeRole through the server's STS gateway.
 */
@Command(
    name = "explain",
    mixinStandardHelpOptions = true,
    modelTransformer = ExplainCommand.ExitCodeList.class,
    description = {
      "Shows what kiam-server would decide for one pod, and why: the decision, the reason, the"
          + " role ARN and the session name. With --check-sts, also tries the AssumeRole the"
          + " server would make, so IAM trust problems show before a pod meets them."
    })
public final class ExplainCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = {"-n", "--namespace"},
      required = true,
      paramLabel = "NS",
      description = "The pod's namespace.")
  String namespace;

  @Option(names = "--pod", required = true, paramLabel = "NAME", description = "The pod's name.")
  String pod;

  @Option(
      names = "--kubeconfig",
      paramLabel = "FILE",
      description =
          "Kubeconfig to read the pod with (its current context). Default: in-cluster, else the"
              + " usual kubeconfig (KUBECONFIG, ~/.kube/config).")
  Path kubeconfig;

  @Option(
      names = "--role-base-arn",
      paramLabel = "ARN",
      description =
          "Base ARN for role names, as the server's flag (arn:aws:iam::123456789012:role/)."
              + " Without it and without --role-base-arn-autodetect, only full role ARNs resolve.")
  String roleBaseArn;

  @Option(
      names = "--role-base-arn-autodetect",
      description =
          "Detect the base ARN from this machine's EC2 instance profile, as the server's flag.")
  boolean roleBaseArnAutodetect;

  @Option(
      names = "--allowed-role-accounts",
      paramLabel = "IDS",
      description =
          "Other accounts whose role ARNs pods may name, as the server's flag (default: the"
              + " server pod's, else none).")
  String allowedRoleAccounts;

  @Option(
      names = "--session",
      paramLabel = "NAME",
      defaultValue = ExplainDefaults.SESSION,
      description =
          "The server's --session: the session-name suffix for pods without"
              + " iam.amazonaws.com/session-name.")
  String session;

  @Option(
      names = "--check-sts",
      description =
          "Also call STS AssumeRole for the pod's role with this machine's AWS credentials (the"
              + " default provider chain), as the server would. Prints the access key id and"
              + " expiry, never the secret or the token.")
  boolean checkSts;

  @Option(
      names = "--session-duration",
      paramLabel = "DURATION",
      description = "With --check-sts: DurationSeconds to ask for (default: the server's, 60m).")
  Duration sessionDuration;

  @Option(
      names = "--region",
      paramLabel = "REGION",
      defaultValue = "${env:AWS_REGION:-us-east-1}",
      description =
          "With --check-sts: the STS region, as the server's flag (default: $AWS_REGION, else"
              + " us-east-1).")
  String region;

  @Option(
      names = "--sts-endpoint",
      paramLabel = "URL",
      description = "With --check-sts: the STS endpoint URL (regional, VPC or test endpoint).")
  URI stsEndpoint;

  @Option(
      names = "--assume-role-arn",
      paramLabel = "ARN",
      description = "With --check-sts: the role to assume first, as the server's flag.")
  String assumeRoleArn;

  private final StsGatewayFactory gateways;
  private final BaseArnDetector baseArnDetector;

  /** The command as kiam-server runs it: real STS and the real instance metadata service. */
  public ExplainCommand() {
    this(StsGatewayFactory.real(), BaseArnDetector.real());
  }

  /** For tests: STS credentials and base-ARN detection that stay on loopback. */
  ExplainCommand(StsGatewayFactory gateways, BaseArnDetector baseArnDetector) {
    this.gateways = gateways;
    this.baseArnDetector = baseArnDetector;
  }

  @Override
  public Integer call() throws Exception {
    validate();
    // Only explain's own lines on stdout; the libraries' chatter would bury them.
    Logging.configure(LogFormat.TEXT, "warn");
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();

    Pod found;
    Namespace ns;
    Optional<ServerSettingsFinder.Found> discovered = Optional.empty();
    Optional<ServerLogBaseArn.Result> detected = Optional.empty();
    String settingsNote = null;
    try (KubernetesClient client = kubernetes()) {
      if (roleBaseArn == null && !roleBaseArnAutodetect) {
        try {
          discovered = ServerSettingsFinder.find(client);
        } catch (KubernetesClientException e) {
          settingsNote = "cannot list kiam-server pods to read their flags: " + describe(e);
        }
        // The server autodetects: what it detected is in its log, and nowhere else.
        detected =
            discovered
                .filter(f -> f.roleBaseArn().isEmpty())
                .map(f -> ServerLogBaseArn.read(client, f));
      }
      found = client.pods().inNamespace(namespace).withName(pod).get();
      ns = found == null ? null : client.namespaces().withName(namespace).get();
    } catch (KubernetesClientException e) {
      err.println("explain: cannot read pod " + namespace + "/" + pod + ": " + describe(e));
      err.flush();
      return ExitCode.ERROR.code();
    }
    settings(out, discovered, settingsNote, detected);
    ArnResolver resolver = resolver(discovered, detected.flatMap(ServerLogBaseArn.Result::baseArn));
    String suffix =
        discovered.flatMap(ServerSettingsFinder.Found::session).isPresent()
                && !spec.commandLine().getParseResult().hasMatchedOption("--session")
            ? discovered.get().session().get()
            : session;
    if (found == null) {
      out.println("pod " + namespace + "/" + pod + " not found");
      out.println("exit code: " + ExitCode.POD_NOT_FOUND.code());
      out.flush();
      return ExitCode.POD_NOT_FOUND.code();
    }

    Duration duration =
        sessionDuration == null ? ExplainDefaults.SESSION_DURATION : sessionDuration;
    try (StsGatewayFactory.OpenGateway gateway = checkSts ? gateways.create(stsSettings()) : null) {
      boolean anchored = discovered.map(f -> !f.unanchored()).orElse(true);
      Explainer explainer =
          new Explainer(
              resolver,
              ExplainDefaults.SESSION_NAMER,
              suffix,
              Optional.ofNullable(gateway),
              duration,
              anchored);
      Explanation explanation = explainer.explain(found, ns);
      ExplanationPrinter.print(explanation, out);
      return explanation.exitCode().code();
    }
  }

  private void validate() {
    if (roleBaseArn != null && roleBaseArnAutodetect) {
      throw new IllegalArgumentException(
          "--role-base-arn and --role-base-arn-autodetect exclude each other");
    }
    if (!checkSts && (stsEndpoint != null || assumeRoleArn != null || sessionDuration != null)) {
      throw new IllegalArgumentException(
          "--sts-endpoint, --assume-role-arn and --session-duration only apply with --check-sts");
    }
    if (kubeconfig != null && !Files.isReadable(kubeconfig)) {
      throw new IllegalArgumentException("--kubeconfig: cannot read " + kubeconfig);
    }
  }

  private ArnResolver resolver(
      Optional<ServerSettingsFinder.Found> discovered, Optional<String> detected) {
    String accounts =
        allowedRoleAccounts != null
            ? allowedRoleAccounts
            : discovered.flatMap(ServerSettingsFinder.Found::allowedRoleAccounts).orElse("");
    if (roleBaseArn != null) {
      return new DefaultArnResolver(roleBaseArn, accounts);
    }
    if (roleBaseArnAutodetect) {
      return new DefaultArnResolver(baseArnDetector.detect(), accounts);
    }
    if (discovered.flatMap(ServerSettingsFinder.Found::roleBaseArn).isPresent()) {
      return new DefaultArnResolver(discovered.get().roleBaseArn().get(), accounts);
    }
    if (detected.isPresent()) {
      return new DefaultArnResolver(detected.get(), accounts);
    }
    return new FullArnResolver();
  }

  /** Says where the server's settings came from, so nobody has to guess them. */
  private void settings(
      PrintWriter out,
      Optional<ServerSettingsFinder.Found> discovered,
      String note,
      Optional<ServerLogBaseArn.Result> detected) {
    String text;
    if (roleBaseArn != null) {
      text = "--role-base-arn=" + roleBaseArn + " from the command line";
    } else if (roleBaseArnAutodetect) {
      text = "--role-base-arn-autodetect from the command line (this machine's instance profile)";
    } else if (discovered.isPresent()) {
      ServerSettingsFinder.Found f = discovered.get();
      text =
          f.roleBaseArn().map(a -> "--role-base-arn=" + a).orElse("--role-base-arn-autodetect")
              + f.session().map(x -> " --session=" + x).orElse("")
              + (f.unanchored() ? " --disable-strict-namespace-regexp" : "")
              + " from "
              + f.source();
      if (f.roleBaseArn().isEmpty()
          && detected.flatMap(ServerLogBaseArn.Result::baseArn).isPresent()) {
        text +=
            "; the server detected "
                + detected.get().baseArn().get()
                + " from its node's instance profile ("
                + detected.get().why()
                + "), used here";
      } else if (f.roleBaseArn().isEmpty()) {
        text +=
            "; the server detects its base ARN from its node's instance profile and explain could"
                + " not learn it: "
                + detected.map(ServerLogBaseArn.Result::why).orElse("no log read")
                + "; only full role ARNs resolve here. Pass"
                + " --role-base-arn=arn:aws:iam::ACCOUNT:role/ with that profile's partition and"
                + " account (`aws sts get-caller-identity` on the server's node), or run explain on"
                + " such a node with --role-base-arn-autodetect";
      }
    } else {
      text =
          (note != null ? note : "no running kiam-server pod found")
              + "; only full role ARNs resolve (pass --role-base-arn)";
    }
    out.printf("%-16s %s%n", "settings:", text);
  }

  private StsSettings stsSettings() {
    return new StsSettings(
        region,
        Optional.ofNullable(stsEndpoint),
        Optional.ofNullable(assumeRoleArn).filter(s -> !s.isBlank()));
  }

  private KubernetesClient kubernetes() {
    Config config;
    if (kubeconfig == null) {
      config = Config.autoConfigure(null);
    } else {
      try {
        // Read as the server reads its --kubeconfig, so both see the same cluster and user.
        config = Config.fromKubeconfig(Files.readString(kubeconfig));
      } catch (IOException e) {
        throw new UncheckedIOException("--kubeconfig: cannot read " + kubeconfig, e);
      }
    }
    // A person is waiting: one try, not the daemon's patient backoff (40 s against a dead server).
    config.setRequestRetryBackoffLimit(0);
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  /** fabric8's message names the operation; the cause says what actually went wrong. */
  private static String describe(KubernetesClientException e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String why =
        root == e ? "" : " (" + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
    return oneLine(e.getMessage() + why);
  }

  private static String oneLine(String message) {
    return String.valueOf(message).replace('\n', ' ').replace('\r', ' ').trim();
  }

  /** Lists {@link ExitCode} in {@code --help}, from the enum, so help and code cannot disagree. */
  static final class ExitCodeList implements IModelTransformer {
    @Override
    public CommandSpec transform(CommandSpec spec) {
      Map<String, String> codes = new LinkedHashMap<>();
      for (ExitCode code : ExitCode.values()) {
        codes.put(String.valueOf(code.code()), code.meaning());
      }
      spec.usageMessage().exitCodeListHeading("%nExit codes:%n").exitCodeList(codes);
      return spec;
    }
  }
}
