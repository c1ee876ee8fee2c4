package io.kiam.testkit.sts;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The roles that exist, looked up by the ARN a caller asks for; with {@code anyInAccount}, every
 * role name in the endpoint's account exists too (assumable by any caller, 1 h sessions).
 */
final class RoleTable {
  private final Map<String, Role> byArn = new LinkedHashMap<>();
  private final String account;
  private final boolean anyInAccount;

  RoleTable(String account, List<RoleSpec> specs) {
    this(account, specs, false);
  }

  RoleTable(String account, List<RoleSpec> specs, boolean anyInAccount) {
    this.account = account;
    this.anyInAccount = anyInAccount;
    for (RoleSpec spec : specs) {
      Role role = Role.from(spec, account);
      if (byArn.putIfAbsent(role.arn(), role) != null) {
        throw new IllegalArgumentException("role declared twice: " + role.arn());
      }
    }
  }

  Optional<Role> find(String roleArn) {
    Role declared = byArn.get(roleArn);
    if (declared != null || !anyInAccount || roleArn == null) {
      return Optional.ofNullable(declared);
    }
    return RoleArns.parse(roleArn)
        .filter(arn -> arn.account().equals(account))
        .map(arn -> Role.from(RoleSpec.of(roleArn), account));
  }

  List<String> arns() {
    return List.copyOf(byArn.keySet());
  }
}
