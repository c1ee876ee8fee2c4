package io.kiam.agent.client;

import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * Sends the agent's projected service-account token with every call ({@code authorization: Bearer
 * TOKEN}), so a server with {@code --require-node-identity} can tell which node the agent runs on.
 * The kubelet rotates the file in place; it is read again whenever it changed.
 */
final class NodeIdentityToken implements ClientInterceptor {
  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final Path file;
  private FileTime readAt;
  private String token;

  NodeIdentityToken(Path file) {
    this.file = Objects.requireNonNull(file, "file");
  }

  /** The current token; IOException when the file cannot be read (never its content). */
  synchronized String current() throws IOException {
    FileTime modified = Files.getLastModifiedTime(file);
    if (token == null || !modified.equals(readAt)) {
      String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
      if (text.isEmpty()) {
        throw new IOException(file + " is empty");
      }
      token = text;
      readAt = modified;
    }
    return token;
  }

  @Override
  public <Q, A> ClientCall<Q, A> interceptCall(
      MethodDescriptor<Q, A> method, CallOptions options, Channel next) {
    return next.newCall(method, options.withCallCredentials(credentials));
  }

  private final CallCredentials credentials =
      new CallCredentials() {
        @Override
        public void applyRequestMetadata(
            RequestInfo info, Executor executor, MetadataApplier applier) {
          String bearer;
          try {
            bearer = current();
          } catch (IOException e) {
            applier.fail(
                Status.UNAUTHENTICATED.withDescription(
                    "--node-identity-token: cannot read " + file + ": " + e.getMessage()));
            return;
          }
          Metadata headers = new Metadata();
          headers.put(AUTHORIZATION, "Bearer " + bearer);
          applier.apply(headers);
        }
      };
}
