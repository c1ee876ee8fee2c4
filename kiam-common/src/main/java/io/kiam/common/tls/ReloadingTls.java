package io.kiam.common.tls;

import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mutual-TLS material read from PEM files and re-read when they change, so that a rotated
 * Kubernetes secret (which swaps symlinks under the mount) takes effect for new connections without
 * a restart.
 *
 * <p>The SSL contexts it hands out delegate to whatever material was loaded last; a change that
 * does not load (a half-written file, a key that does not match) is logged and the previous
 * material kept.
 */
public final class ReloadingTls implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ReloadingTls.class);

  private final TlsFiles files;
  private volatile PemMaterial current;
  private ScheduledExecutorService watcher;

  private ReloadingTls(TlsFiles files, PemMaterial material) {
    this.files = files;
    this.current = material;
  }

  /** Loads the files now; a missing or broken file fails here with a message naming it. */
  public static ReloadingTls load(TlsFiles files) {
    files.requireReadable();
    return new ReloadingTls(files, PemMaterial.load(files));
  }

  /** A gRPC server context that requires client certificates signed by the CA. */
  public SslContext grpcServerContext() {
    try {
      return GrpcSslContexts.configure(
              SslContextBuilder.forServer(new DelegatingKeyManager()), SslProvider.JDK)
          .trustManager(new DelegatingTrustManager())
          .clientAuth(ClientAuth.REQUIRE)
          .build();
    } catch (SSLException e) {
      throw new TlsException("cannot build the server TLS context: " + e.getMessage(), e);
    }
  }

  /** A gRPC client context presenting our certificate and trusting only the CA. */
  public SslContext grpcClientContext() {
    try {
      return GrpcSslContexts.configure(SslContextBuilder.forClient(), SslProvider.JDK)
          .keyManager(new DelegatingKeyManager())
          .trustManager(new DelegatingTrustManager())
          .build();
    } catch (SSLException e) {
      throw new TlsException("cannot build the client TLS context: " + e.getMessage(), e);
    }
  }

  /** When our own certificate stops being valid (the earliest notAfter in its chain). */
  public Instant certificateNotAfter() {
    return current.notAfter;
  }

  /** Checks the files every {@code checkEvery} and reloads them when their bytes change. */
  public synchronized void start(Duration checkEvery) {
    if (watcher != null) {
      return;
    }
    watcher =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "tls-reload");
              t.setDaemon(true);
              return t;
            });
    long millis = checkEvery.toMillis();
    watcher.scheduleWithFixedDelay(this::reloadIfChanged, millis, millis, TimeUnit.MILLISECONDS);
  }

  /** Reloads now if the files changed; returns whether new material is in use. */
  public boolean reloadIfChanged() {
    try {
      if (current.sameFiles(PemMaterial.fingerprint(files))) {
        return false;
      }
      PemMaterial next = PemMaterial.load(files);
      current = next;
      log.atInfo()
          .addKeyValue("tls.cert", files.cert())
          .addKeyValue("tls.not_after", next.notAfter)
          .log("reloaded TLS certificate, key and CA");
      return true;
    } catch (RuntimeException e) {
      log.atWarn()
          .addKeyValue("tls.cert", files.cert())
          .log(
              "TLS files changed but cannot be loaded, keeping the previous ones: {}",
              e.getMessage());
      return false;
    }
  }

  @Override
  public synchronized void close() {
    if (watcher != null) {
      watcher.shutdownNow();
      watcher = null;
    }
  }

  private final class DelegatingKeyManager extends X509ExtendedKeyManager {
    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return current.keyManager.getClientAliases(keyType, issuers);
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return current.keyManager.chooseClientAlias(keyType, issuers, socket);
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
      return current.keyManager.chooseEngineClientAlias(keyType, issuers, engine);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return current.keyManager.getServerAliases(keyType, issuers);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return current.keyManager.chooseServerAlias(keyType, issuers, socket);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
      return current.keyManager.chooseEngineServerAlias(keyType, issuers, engine);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return current.keyManager.getCertificateChain(alias);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return current.keyManager.getPrivateKey(alias);
    }
  }

  private final class DelegatingTrustManager extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      current.trustManager.checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      current.trustManager.checkServerTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      current.trustManager.checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      current.trustManager.checkServerTrusted(chain, authType, engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      current.trustManager.checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      current.trustManager.checkServerTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return current.trustManager.getAcceptedIssuers();
    }
  }
}
