package io.kiam.server.k8s;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Shares one String instance among the many pods that carry the same namespace, role or service
 * account, which is most of a pod's text; bounded so that churn cannot grow it without limit.
 */
final class StringPool {
  private final ConcurrentHashMap<String, String> pool = new ConcurrentHashMap<>();
  private final int limit;

  StringPool(int limit) {
    this.limit = limit;
  }

  String share(String value) {
    if (value == null) {
      return null;
    }
    String shared = pool.get(value);
    if (shared != null) {
      return shared;
    }
    if (pool.size() >= limit) {
      return value;
    }
    shared = pool.putIfAbsent(value, value);
    return shared == null ? value : shared;
  }
}
