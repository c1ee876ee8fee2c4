package io.kiam.agent.imds;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import io.kiam.agent.client.IssuedCredentials;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes credentials the way EC2 writes them: the same fields in the same order, UTC timestamps to
 * the second with a literal Z, pretty-printed as the real service does.
 */
public final class CredentialsJson {
  static final DateTimeFormatter TIMESTAMP =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'").withZone(ZoneOffset.UTC);
  private static final Pattern ACCOUNT_IN_ARN = Pattern.compile("^arn:[^:]+:[^:]+::(\\d{12}):");
  private static final JsonFactory JSON = new JsonFactory();

  private CredentialsJson() {}

  /** The body of .../security-credentials/ROLE; with {@code extended}, plus AccountId. */
  public static byte[] write(IssuedCredentials credentials, boolean extended) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
    try (JsonGenerator json = JSON.createGenerator(out)) {
      json.setPrettyPrinter(new DefaultPrettyPrinter());
      json.writeStartObject();
      json.writeStringField("Code", "Success");
      json.writeStringField("LastUpdated", timestamp(credentials.lastUpdated()));
      json.writeStringField("Type", "AWS-HMAC");
      json.writeStringField("AccessKeyId", credentials.accessKeyId());
      json.writeStringField("SecretAccessKey", credentials.secretAccessKey());
      json.writeStringField("Token", credentials.sessionToken());
      json.writeStringField("Expiration", timestamp(credentials.expiration()));
      if (extended) {
        String account = accountId(credentials);
        if (!account.isEmpty()) {
          json.writeStringField("AccountId", account);
        }
      }
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write credentials JSON", e);
    }
    return out.toByteArray();
  }

  static String timestamp(Instant instant) {
    return TIMESTAMP.format(instant);
  }

  /** The account the server names, else the one in the role's ARN. */
  static String accountId(IssuedCredentials credentials) {
    if (!credentials.accountId().isEmpty()) {
      return credentials.accountId();
    }
    Matcher m = ACCOUNT_IN_ARN.matcher(credentials.roleArn());
    return m.find() ? m.group(1) : "";
  }
}
