package io.kiam.server.sts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kiam.common.imds.MetadataTokens;
import io.kiam.server.policy.RoleArns;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Detects the role base ARN ({@code --role-base-arn-autodetect}) from the node's instance profile,
 * read through the instance metadata service (IMDSv2, falling back to v1).
 */
public final class InstanceProfileBaseArn {
  /** The real service. Tests pass a loopback server instead: never call this from a test. */
  public static final URI EC2_METADATA = URI.create("http://169.254.169.254/");

  static final String TOKEN_TTL_HEADER = MetadataTokens.TTL_HEADER;
  static final String TOKEN_HEADER = MetadataTokens.TOKEN_HEADER;

  /**
   * How the server's log states what it detected; {@code explain} reads the server pod's log for
   * it, so change both together.
   */
  public static final String DETECTED_LOG = "role base ARN detected from the instance profile: ";

  /** Finds {@link #DETECTED_LOG}'s ARN in a log line, text or JSON. */
  public static final Pattern DETECTED_IN_LOG =
      Pattern.compile(
          Pattern.quote(DETECTED_LOG)
              + "(arn:("
              + String.join("|", RoleArns.PARTITIONS)
              + "):iam::\\d{12}:role/)");

  private static final Logger log = LoggerFactory.getLogger(InstanceProfileBaseArn.class);

  private static final Pattern INSTANCE_PROFILE =
      Pattern.compile(
          "arn:("
              + String.join("|", RoleArns.PARTITIONS)
              + "):iam::(\\d{12}):instance-profile/\\S+");

  /** Tries when the metadata service does not answer in time: a node busy at boot is common. */
  static final int DEFAULT_ATTEMPTS = 4;

  private final URI endpoint;
  private final Duration timeout;
  private final int attempts;
  private final HttpClient http;

  /** Reads from {@code endpoint} (the metadata service's base URL), each request within timeout. */
  public InstanceProfileBaseArn(URI endpoint, Duration timeout) {
    this(endpoint, timeout, DEFAULT_ATTEMPTS);
  }

  /**
   * As above, asking up to {@code attempts} times, with a pause of the timeout between tries, while
   * the metadata service cannot be reached or does not answer; an answer that says no (no instance
   * profile, not an instance profile ARN) is final at once.
   */
  public InstanceProfileBaseArn(URI endpoint, Duration timeout, int attempts) {
    if (attempts < 1) {
      throw new IllegalArgumentException("attempts must be at least 1");
    }
    this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    this.attempts = attempts;
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(timeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .proxy(HttpClient.Builder.NO_PROXY)
            .build();
  }

  /**
   * {@code arn:PARTITION:iam::ACCOUNT:role/} of the node's instance profile; IllegalStateException
   * with advice when the metadata service cannot tell.
   */
  public String detect() {
    for (int attempt = 1; ; attempt++) {
      try {
        return detectOnce();
      } catch (Unreachable e) {
        if (attempt >= attempts) {
          throw e.advice;
        }
        log.atWarn()
            .addKeyValue("attempt", attempt)
            .addKeyValue("attempts", attempts)
            .log(
                "could not read the instance profile yet, asking again: {}", e.advice.getMessage());
        pause();
      }
    }
  }

  private String detectOnce() {
    String token = null;
    String tokenProblem = null;
    try {
      token = token();
    } catch (IOException | IllegalStateException e) {
      // IMDSv1-only instances refuse the PUT; a hop limit of 1 drops its answer before a pod in
      // the pod network sees it (the host network, where the chart runs the server, is within the
      // limit). Either way a plain GET may still work.
      tokenProblem = describe(e);
    }
    try {
      String base = baseArnOf(info(token));
      log.atInfo().addKeyValue("role.base.arn", base).log(DETECTED_LOG + base);
      return base;
    } catch (IOException | IllegalStateException e) {
      IllegalStateException advice =
          new IllegalStateException(
              "--role-base-arn-autodetect: could not read the instance profile from "
                  + endpoint
                  + ": "
                  + describe(e)
                  + (tokenProblem == null ? "" : " (IMDSv2 token: " + tokenProblem + ")")
                  + "; run the server in the host network (a hop limit of 1 suffices there; in the"
                  + " pod network the node's agent answers instead), or pass --role-base-arn",
              e);
      if (e instanceof IOException) {
        throw new Unreachable(advice);
      }
      throw advice;
    }
  }

  private void pause() {
    try {
      Thread.sleep(timeout.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("--role-base-arn-autodetect: interrupted", e);
    }
  }

  /** The metadata service did not answer (connect refused, timed out): worth asking again. */
  private static final class Unreachable extends RuntimeException {
    private final IllegalStateException advice;

    Unreachable(IllegalStateException advice) {
      super(null, null, false, false);
      this.advice = advice;
    }
  }

  /** The base ARN for an instance profile ARN: same partition and account, role/ instead. */
  static String baseArnOf(String instanceProfileArn) {
    Matcher m = INSTANCE_PROFILE.matcher(instanceProfileArn);
    if (!m.matches()) {
      throw new IllegalStateException(
          "InstanceProfileArn '" + instanceProfileArn + "' is not an instance profile ARN");
    }
    return "arn:" + m.group(1) + ":iam::" + m.group(2) + ":role/";
  }

  private String token() throws IOException {
    HttpRequest put =
        HttpRequest.newBuilder(endpoint.resolve(MetadataTokens.TOKEN_PATH))
            .timeout(timeout)
            .header(TOKEN_TTL_HEADER, "60")
            .PUT(HttpRequest.BodyPublishers.noBody())
            .build();
    HttpResponse<String> response = send(put);
    if (response.statusCode() != 200 || response.body().isBlank()) {
      throw new IllegalStateException(
          "PUT " + MetadataTokens.TOKEN_PATH + " answered " + response.statusCode());
    }
    return response.body().strip();
  }

  private String info(String token) throws IOException {
    HttpRequest.Builder get =
        HttpRequest.newBuilder(endpoint.resolve("latest/meta-data/iam/info")).timeout(timeout);
    if (token != null) {
      get.header(TOKEN_HEADER, token);
    }
    HttpResponse<String> response = send(get.GET().build());
    if (response.statusCode() == 404) {
      throw new IllegalStateException("the instance has no instance profile (iam/info is 404)");
    }
    if (response.statusCode() != 200) {
      throw new IllegalStateException(
          "GET latest/meta-data/iam/info answered " + response.statusCode());
    }
    JsonNode body = new ObjectMapper().readTree(response.body());
    JsonNode arn = body.path("InstanceProfileArn");
    if (!arn.isTextual()) {
      throw new IllegalStateException("iam/info has no InstanceProfileArn");
    }
    return arn.asText();
  }

  private static String describe(Exception e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  private HttpResponse<String> send(HttpRequest request) throws IOException {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}
