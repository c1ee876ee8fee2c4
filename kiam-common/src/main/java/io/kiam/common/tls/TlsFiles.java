package io.kiam.common.tls;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The three PEM files of one side of a mutual-TLS connection: its certificate chain, key and CA.
 */
public record TlsFiles(Path cert, Path key, Path ca) {

  public TlsFiles {
    Objects.requireNonNull(cert, "cert");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(ca, "ca");
  }

  /** Fails with a message naming the flag and the path when a file is missing or unreadable. */
  public void requireReadable() {
    requireReadable("--cert", cert);
    requireReadable("--key", key);
    requireReadable("--ca", ca);
  }

  private static void requireReadable(String flag, Path path) {
    if (!Files.isReadable(path)) {
      throw new IllegalArgumentException(flag + ": cannot read " + path);
    }
  }
}
