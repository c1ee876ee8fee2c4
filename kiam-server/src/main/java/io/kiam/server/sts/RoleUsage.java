package io.kiam.server.sts;

/** Whether live pods still need credentials for a request; the cache asks before each refresh. */
@FunctionalInterface
public interface RoleUsage {
  boolean inUse(RoleRequest request);
}
