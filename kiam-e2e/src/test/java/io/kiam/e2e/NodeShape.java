package io.kiam.e2e;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * How {@link NodeExtension} builds the class's node when one server and no extra flags won't do.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@interface NodeShape {
  /** How many kiam-servers (the agent finds them all under one name, as in a cluster). */
  int servers() default 1;

  /** Extra kiam-agent flags. */
  String[] agentFlags() default {};
}
