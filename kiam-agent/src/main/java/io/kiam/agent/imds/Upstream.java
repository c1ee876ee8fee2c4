package io.kiam.agent.imds;

import java.util.concurrent.CompletableFuture;

/** The real instance metadata service, for the few paths the operator's allow-list lets through. */
public interface Upstream extends AutoCloseable {
  /** GETs {@code path} (already normalised and allow-listed) and relays the answer. */
  CompletableFuture<Reply> get(String path);

  @Override
  default void close() {}

  /** An upstream for agents that proxy nothing. */
  static Upstream none() {
    return path ->
        CompletableFuture.completedFuture(
            Reply.error(
                io.netty.handler.codec.http.HttpResponseStatus.NOT_FOUND,
                "blocked by kiam: no metadata endpoint configured"));
  }
}
