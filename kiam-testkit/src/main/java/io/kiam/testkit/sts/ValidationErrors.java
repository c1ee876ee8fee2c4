package io.kiam.testkit.sts;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Collects constraint violations and words them as STS does ("1 validation error detected: ...").
 */
final class ValidationErrors {
  private final List<String> violations = new ArrayList<>();

  void notNull(String member, String value) {
    if (value == null) {
      violations.add(
          "Value null at '" + member + "' failed to satisfy constraint: Member must not be null");
    }
  }

  void length(String member, String value, int min, int max) {
    if (value == null) {
      return;
    }
    int length = value.codePointCount(0, value.length());
    if (length < min) {
      add(member, value, "Member must have length greater than or equal to " + min);
    } else if (length > max) {
      add(member, value, "Member must have length less than or equal to " + max);
    }
  }

  void pattern(String member, String value, Pattern pattern, String shown) {
    if (value != null && !pattern.matcher(value).matches()) {
      add(member, value, "Member must satisfy regular expression pattern: " + shown);
    }
  }

  void range(String member, String value, long number, long min, long max) {
    if (number < min) {
      add(member, value, "Member must have value greater than or equal to " + min);
    } else if (number > max) {
      add(member, value, "Member must have value less than or equal to " + max);
    }
  }

  void add(String member, String value, String constraint) {
    violations.add(
        "Value '" + value + "' at '" + member + "' failed to satisfy constraint: " + constraint);
  }

  void throwIfAny() throws StsErrorException {
    if (violations.isEmpty()) {
      return;
    }
    int n = violations.size();
    throw new StsErrorException(
        StsError.validation(
            n
                + (n == 1 ? " validation error detected: " : " validation errors detected: ")
                + String.join("; ", violations)));
  }
}
