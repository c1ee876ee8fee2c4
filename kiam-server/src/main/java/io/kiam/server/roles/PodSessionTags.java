package io.kiam.server.roles;

import io.kiam.server.k8s.PodInfo;
import io.kiam.server.sts.SessionTags;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The session tags and SourceIdentity {@code --session-tags} adds to a pod's AssumeRole, named as
 * EKS Pod Identity names them, so CloudTrail shows which pod acted.
 *
 * <p>The node is left out on purpose: the server usually sees a pod before it is scheduled and
 * prefetches then, so a node tag would change the session between the prefetch and the pod's first
 * request and cost a second STS call per pod. The uid names the pod exactly; its node is in the API
 * server's records.
 */
public final class PodSessionTags {
  public static final String NAMESPACE = "kubernetes-namespace";
  public static final String POD_NAME = "kubernetes-pod-name";
  public static final String POD_UID = "kubernetes-pod-uid";
  public static final String SERVICE_ACCOUNT = "kubernetes-service-account";
  public static final String NODE_NAME = "kubernetes-node-name";

  /** STS's limits: a tag value, and a SourceIdentity. */
  static final int MAX_VALUE_LENGTH = 256;

  static final int MAX_SOURCE_IDENTITY_LENGTH = 64;

  private static final int HASH_CHARS = 8;

  private PodSessionTags() {}

  /** The tags and SourceIdentity for {@code pod}. */
  public static SessionTags forPod(PodInfo pod) {
    Map<String, String> tags = new LinkedHashMap<>();
    tags.put(NAMESPACE, value(pod.namespace()));
    tags.put(POD_NAME, value(pod.name()));
    tags.put(POD_UID, value(pod.uid()));
    if (pod.serviceAccount() != null && !pod.serviceAccount().isBlank()) {
      tags.put(SERVICE_ACCOUNT, value(pod.serviceAccount()));
    }
    if (pod.nodeName() != null && !pod.nodeName().isBlank()) {
      tags.put(NODE_NAME, value(pod.nodeName()));
    }
    return new SessionTags(tags, Optional.of(sourceIdentity(pod.namespace(), pod.name())));
  }

  /**
   * {@code NAMESPACE.POD} (a namespace has no '.', so the first one splits them); past STS's 64
   * characters, its first 55 and 8 hex digits of its SHA-256, so long names stay distinct.
   */
  static String sourceIdentity(String namespace, String pod) {
    String whole = allowedInSourceIdentity(namespace + "." + pod);
    if (whole.length() <= MAX_SOURCE_IDENTITY_LENGTH) {
      return whole.length() < 2 ? whole + "-" : whole;
    }
    String hash = HexFormat.of().formatHex(sha256(whole)).substring(0, HASH_CHARS);
    return whole.substring(0, MAX_SOURCE_IDENTITY_LENGTH - HASH_CHARS - 1) + "-" + hash;
  }

  /** Kubernetes names already fit STS's tag characters; cap the length all the same. */
  private static String value(String s) {
    return s.length() <= MAX_VALUE_LENGTH ? s : s.substring(0, MAX_VALUE_LENGTH);
  }

  private static String allowedInSourceIdentity(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || "_+=,.@-".indexOf(c) >= 0;
      b.append(ok ? c : '-');
    }
    return b.toString();
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
