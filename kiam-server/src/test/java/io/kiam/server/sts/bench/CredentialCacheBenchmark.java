package io.kiam.server.sts.bench;

import io.kiam.server.sts.CredentialCache;
import io.kiam.server.sts.CredentialCacheConfig;
import io.kiam.server.sts.IssuedCredentials;
import io.kiam.server.sts.RoleRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of a credential request that the cache answers (the path every warm pod takes): key
 * hash, map lookup, clock read, freshness check, hit counter, completed future.
 *
 * <p>Run by hand, not in the build: {@code mvn -B -q -o -pl kiam-server test-compile
 * dependency:build-classpath -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test} then
 * {@code java -cp kiam-server/target/test-classes:kiam-server/target/classes:$(cat
 * kiam-server/target/bench.cp) org.openjdk.jmh.Main CredentialCacheBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode({Mode.AverageTime})
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CredentialCacheBenchmark {
  /** Role sessions held: one busy role, or a large cluster's worth. */
  @Param({"1", "10000"})
  int roles;

  private CredentialCache cache;
  private RoleRequest[] requests;

  @Setup(Level.Trial)
  public void fill() throws Exception {
    cache =
        new CredentialCache(
            (request, duration) -> {
              Instant now = Instant.now();
              return new IssuedCredentials(
                  "ASIABENCH",
                  "secret",
                  "token",
                  now.plus(Duration.ofHours(1)),
                  now,
                  "123456789012",
                  request.roleArn());
            },
            r -> true,
            CredentialCacheConfig.defaults());
    requests = new RoleRequest[roles];
    for (int i = 0; i < roles; i++) {
      // Built afresh as the gRPC service does per call: the key's hash is computed each time.
      requests[i] =
          new RoleRequest("arn:aws:iam::123456789012:role/app-" + i, "kiam-kiam", Optional.empty());
      cache.prefetch(requests[i]).get(10, TimeUnit.SECONDS);
    }
  }

  @TearDown(Level.Trial)
  public void close() {
    cache.close();
  }

  @Benchmark
  public IssuedCredentials hit() {
    RoleRequest held = requests[ThreadLocalRandom.current().nextInt(roles)];
    return cache
        .credentials(new RoleRequest(held.roleArn(), held.sessionName(), held.externalId()))
        .join();
  }

  @Benchmark
  @Threads(2)
  public IssuedCredentials hitFromTwoThreads() {
    return hit();
  }
}
