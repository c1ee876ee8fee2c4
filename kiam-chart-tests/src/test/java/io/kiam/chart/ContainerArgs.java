package io.kiam.chart;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A container's args as the kubelet hands them to the process: $(VAR) references expanded. */
final class ContainerArgs {
  /** What the downward API would give; a documentation address, never contacted. */
  static final String NODE_IP = "192.0.2.10";

  /** What the downward API would give for spec.nodeName. */
  static final String NODE_NAME = "ip-192-0-2-10.ec2.internal";

  private static final Pattern REFERENCE = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");

  private ContainerArgs() {}

  static String[] expanded(Container container) {
    Map<String, String> env = new HashMap<>();
    for (EnvVar var : container.getEnv()) {
      if (var.getValue() != null) {
        env.put(var.getName(), var.getValue());
      } else if (var.getValueFrom() != null && var.getValueFrom().getFieldRef() != null) {
        String field = var.getValueFrom().getFieldRef().getFieldPath();
        if (field.equals("status.hostIP") || field.equals("status.podIP")) {
          env.put(var.getName(), NODE_IP);
        } else if (field.equals("spec.nodeName")) {
          env.put(var.getName(), NODE_NAME);
        }
      }
    }
    return expand(container.getArgs(), env);
  }

  static String[] expand(List<String> args, Map<String, String> env) {
    return args.stream()
        .map(
            arg -> {
              Matcher m = REFERENCE.matcher(arg);
              StringBuilder out = new StringBuilder();
              while (m.find()) {
                String value = env.get(m.group(1));
                if (value == null) {
                  throw new AssertionError("the kubelet cannot expand " + m.group() + " in " + arg);
                }
                m.appendReplacement(out, Matcher.quoteReplacement(value));
              }
              m.appendTail(out);
              return out.toString();
            })
        .toArray(String[]::new);
  }

  /** The option name of one arg: "--bind" for "--bind=0.0.0.0:9610". */
  static String optionName(String arg) {
    int eq = arg.indexOf('=');
    return eq < 0 ? arg : arg.substring(0, eq);
  }
}
