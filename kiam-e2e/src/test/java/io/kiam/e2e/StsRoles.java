package io.kiam.e2e;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The roles the class's testkit STS endpoint knows. List forbidden roles too: then only kiam's
 * policy, not STS, stands between a pod and them, which is what the cases prove.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@interface StsRoles {
  String[] value();
}
