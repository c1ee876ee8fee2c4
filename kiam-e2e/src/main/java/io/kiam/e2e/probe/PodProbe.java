package io.kiam.e2e.probe;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.model.GetCallerIdentityResponse;

/**
 * What an application in a pod does: the AWS SDK's default credential chain (which, with an empty
 * environment, ends at the instance metadata service, IMDSv2), then STS GetCallerIdentity with
 * those credentials. Prints one JSON object: accessKeyId, arn, or error. Never prints a secret.
 */
public final class PodProbe {
  private PodProbe() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: PodProbe STS_ENDPOINT REGION");
      System.exit(2);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    try (DefaultCredentialsProvider provider = DefaultCredentialsProvider.builder().build()) {
      AwsCredentials credentials = provider.resolveCredentials();
      out.put("accessKeyId", credentials.accessKeyId());
      out.put("sessionCredentials", credentials instanceof AwsSessionCredentials);
      try (StsClient sts =
          StsClient.builder()
              .endpointOverride(URI.create(args[0]))
              .region(Region.of(args[1]))
              .credentialsProvider(StaticCredentialsProvider.create(credentials))
              .httpClient(UrlConnectionHttpClient.create())
              .build()) {
        GetCallerIdentityResponse identity = sts.getCallerIdentity();
        out.put("arn", identity.arn());
        out.put("account", identity.account());
      }
    } catch (RuntimeException e) {
      out.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
    }
    System.out.println(new ObjectMapper().writeValueAsString(out));
  }
}
