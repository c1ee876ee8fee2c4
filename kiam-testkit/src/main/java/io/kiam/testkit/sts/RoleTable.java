package io.kiam.testkit.sts;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The roles that exist, looked up by the ARN a caller asks for. */
final class RoleTable {
  private final Map<String, Role> byArn = new LinkedHashMap<>();

  RoleTable(String account, List<RoleSpec> specs) {
    for (RoleSpec spec : specs) {
      Role role = Role.from(spec, account);
      if (byArn.putIfAbsent(role.arn(), role) != null) {
        throw new IllegalArgumentException("role declared twice: " + role.arn());
      }
    }
  }

  Optional<Role> find(String roleArn) {
    return Optional.ofNullable(byArn.get(roleArn));
  }

  List<String> arns() {
    return List.copyOf(byArn.keySet());
  }
}
