package io.kiam.e2e;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The node's servers run as the chart places them by default: in the node's host network, with the
 * node's role from its metadata service and the base ARN autodetected; STS knows only that role.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface ServersInNode {}
