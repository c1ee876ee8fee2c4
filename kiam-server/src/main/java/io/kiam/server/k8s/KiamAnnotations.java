package io.kiam.server.k8s;

/** The annotation names kiam reads, kept as kiam wrote them so existing manifests keep working. */
public final class KiamAnnotations {
  /** On a pod: the role it wants, as a name, a path/name or a full ARN. */
  public static final String ROLE = "iam.amazonaws.com/role";

  /** On a pod: the suffix of its STS session name. */
  public static final String SESSION_NAME = "iam.amazonaws.com/session-name";

  /** On a pod: the external id STS must be given for its role. */
  public static final String EXTERNAL_ID = "iam.amazonaws.com/external-id";

  /** On a namespace: a regular expression the pods' roles must match, whole. */
  public static final String PERMITTED = "iam.amazonaws.com/permitted";

  private KiamAnnotations() {}
}
