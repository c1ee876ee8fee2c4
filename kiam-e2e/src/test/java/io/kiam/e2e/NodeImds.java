package io.kiam.e2e;

import io.kiam.e2e.metadata.MetadataStandIn;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** How the node's metadata service (the stand-in) is set up; without it, IMDSv1 is open. */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface NodeImds {
  MetadataStandIn.Mode value();
}
