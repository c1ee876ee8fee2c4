package io.kiam.testkit.sts;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The parameters of one AssumeRole request, as sent, and STS's checks of their shape. */
record AssumeRoleParameters(
    String roleArn,
    String roleSessionName,
    String durationSeconds,
    String externalId,
    String sourceIdentity,
    Map<Integer, String> tagKeys,
    Map<Integer, String> tagValues) {

  static final int DEFAULT_DURATION_SECONDS = 3600;
  private static final int MAX_TAGS = 50;
  private static final Pattern TAG_PARAM =
      Pattern.compile("Tags\\.member\\.(\\d{1,4})\\.(Key|Value)");
  private static final Pattern SESSION_CHARS = Pattern.compile("[\\w+=,.@-]*");
  private static final Pattern EXTERNAL_ID_CHARS = Pattern.compile("[\\w+=,.@:/-]*");
  private static final Pattern TAG_KEY_CHARS = Pattern.compile("[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+");
  private static final Pattern TAG_VALUE_CHARS = Pattern.compile("[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*");

  static AssumeRoleParameters from(Map<String, String> params) {
    Map<Integer, String> keys = new TreeMap<>();
    Map<Integer, String> values = new TreeMap<>();
    params.forEach(
        (name, value) -> {
          Matcher m = TAG_PARAM.matcher(name);
          if (m.matches()) {
            (m.group(2).equals("Key") ? keys : values).put(Integer.parseInt(m.group(1)), value);
          }
        });
    return new AssumeRoleParameters(
        params.get("RoleArn"),
        params.get("RoleSessionName"),
        params.get("DurationSeconds"),
        params.get("ExternalId"),
        params.get("SourceIdentity"),
        keys,
        values);
  }

  /** DurationSeconds as a number, the default when absent, null when it is not a number. */
  Integer durationOrDefault() {
    return durationSeconds == null ? Integer.valueOf(DEFAULT_DURATION_SECONDS) : durationSent();
  }

  /** DurationSeconds as the caller sent it; null when absent or not a number. */
  Integer durationSent() {
    try {
      return durationSeconds == null ? null : Integer.valueOf(durationSeconds.strip());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** The tags in the order of their member index (keys without a value get ""). */
  Map<String, String> tags() {
    Map<String, String> tags = new LinkedHashMap<>();
    tagKeys.forEach((index, key) -> tags.put(key, tagValues.getOrDefault(index, "")));
    return tags;
  }

  void validate() throws StsErrorException {
    ValidationErrors errors = new ValidationErrors();
    errors.notNull("roleArn", roleArn);
    errors.length("roleArn", roleArn, 20, 2048);
    errors.notNull("roleSessionName", roleSessionName);
    errors.length("roleSessionName", roleSessionName, 2, 64);
    errors.pattern("roleSessionName", roleSessionName, SESSION_CHARS, "[\\w+=,.@-]*");
    Integer duration = durationOrDefault();
    if (duration == null) {
      errors.add("durationSeconds", durationSeconds, "Member must be a number");
    } else {
      errors.range("durationSeconds", durationSeconds, duration, 900, 43200);
    }
    errors.length("externalId", externalId, 2, 1224);
    errors.pattern("externalId", externalId, EXTERNAL_ID_CHARS, "[\\w+=,.@:\\/-]*");
    errors.length("sourceIdentity", sourceIdentity, 2, 64);
    errors.pattern("sourceIdentity", sourceIdentity, SESSION_CHARS, "[\\w+=,.@-]*");
    validateTags(errors);
    errors.throwIfAny();
    // SourceIdentity's pattern has no ':', so IAM's reserved aws: prefix cannot pass it.
    for (String key : tagKeys.values()) {
      if (key.regionMatches(true, 0, "aws:", 0, 4)) {
        throw new StsErrorException(
            StsError.validation(
                "Session tag key "
                    + key
                    + " uses the reserved prefix aws:, which only AWS may set."));
      }
    }
    if (RoleArns.parse(roleArn).isEmpty()) {
      throw new StsErrorException(StsError.validation("Request ARN is invalid"));
    }
  }

  private void validateTags(ValidationErrors errors) throws StsErrorException {
    int count = Math.max(tagKeys.size(), tagValues.size());
    if (count > MAX_TAGS) {
      errors.add(
          "tags",
          "[" + count + " tags]",
          "Member must have length less than or equal to " + MAX_TAGS);
      return;
    }
    Map<String, Integer> seen = new LinkedHashMap<>();
    for (Integer index : tagValues.keySet()) {
      if (!tagKeys.containsKey(index)) {
        errors.notNull("tags." + index + ".member.key", null);
      }
    }
    for (Map.Entry<Integer, String> tag : tagKeys.entrySet()) {
      String member = "tags." + tag.getKey() + ".member";
      String value = tagValues.get(tag.getKey());
      errors.length(member + ".key", tag.getValue(), 1, 128);
      errors.pattern(
          member + ".key", tag.getValue(), TAG_KEY_CHARS, "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+");
      errors.notNull(member + ".value", value);
      errors.length(member + ".value", value, 0, 256);
      errors.pattern(member + ".value", value, TAG_VALUE_CHARS, "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*");
      if (seen.put(tag.getValue().toLowerCase(Locale.ROOT), tag.getKey()) != null) {
        throw new StsErrorException(
            StsError.validation(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive."));
      }
    }
  }
}
