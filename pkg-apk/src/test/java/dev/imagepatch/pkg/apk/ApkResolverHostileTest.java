package dev.imagepatch.pkg.apk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * apk's resolution over hostile indexes: a dependency chain far deeper than any real one, a cycle,
 * and one name with a huge number of providers each depending on it. Each ends, in bounded time,
 * with a resolution or a {@link ApkResolver.ResolutionException} with a message: never a
 * StackOverflowError or a run that does not end.
 */
class ApkResolverHostileTest {
  private static ApkRecord record(String name, String version, String depends, String provides) {
    // apk tells packages apart by their checksum: each its own.
    String sum = ApkFixtures.q1((name + "-" + version).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    StringBuilder b = new StringBuilder("C:" + sum + "\nP:" + name + "\nV:" + version + "\nA:x86_64\nS:1\nI:1\n");
    if (depends != null) {
      b.append("D:").append(depends).append('\n');
    }
    if (provides != null) {
      b.append("p:").append(provides).append('\n');
    }
    List<ApkRecord> r = ApkRecord.parseIndex(b.toString(), "test");
    assertEquals(1, r.size(), b.toString());
    return r.get(0);
  }

  /** Upgrades p0 (installed 1.0-r0) given the repository; the outcome: the changes, or the refusal's message. */
  private static String upgrade(List<ApkRecord> repo, List<ApkRecord> installed, String world) {
    ApkResolver resolver = ApkResolver.of(installed, world, List.of(new ApkResolver.Repository("hostile", null, repo)),
        "x86_64");
    try {
      return "changes: " + resolver.upgrade(List.of(new ApkResolver.Request("p0", "2.0-r0", List.of())))
          .changes().size();
    } catch (ApkResolver.ResolutionException e) {
      assertNotNull(e.getMessage());
      return "refused: " + e.getMessage();
    }
  }

  @Test
  void aDependencyChainOf100kPackagesEndsCleanly() {
    int n = 100_000;
    List<ApkRecord> repo = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      repo.add(record("p" + i, "2.0-r0", i + 1 < n ? "p" + (i + 1) : null, null));
    }
    String outcome = assertTimeoutPreemptively(Duration.ofSeconds(60),
        () -> upgrade(repo, List.of(record("p0", "1.0-r0", null, null)), "p0\n"));
    assertTrue(outcome.equals("changes: " + n) || outcome.contains("dependency chains are too deep"), outcome);
  }

  @Test
  void aChainAndACycleAsDeepAsAnyRealOneResolve() {
    int n = 1_000;
    List<ApkRecord> chain = new ArrayList<>();
    List<ApkRecord> cycle = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      chain.add(record("p" + i, "2.0-r0", i + 1 < n ? "p" + (i + 1) : null, null));
      cycle.add(record("p" + i, "2.0-r0", "p" + ((i + 1) % n), null));
    }
    List<ApkRecord> installed = List.of(record("p0", "1.0-r0", null, null));
    assertEquals("changes: " + n, upgrade(chain, installed, "p0\n"));
    assertEquals("changes: " + n, upgrade(cycle, installed, "p0\n"));
  }

  @Test
  void aDependencyCycleEndsCleanly() {
    int n = 10_000;
    List<ApkRecord> repo = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      repo.add(record("p" + i, "2.0-r0", "p" + ((i + 1) % n), null));
    }
    String outcome = assertTimeoutPreemptively(Duration.ofSeconds(60),
        () -> upgrade(repo, List.of(record("p0", "1.0-r0", null, null)), "p0\n"));
    assertTrue(outcome.equals("changes: " + n) || outcome.contains("dependency chains are too deep"), outcome);
  }

  @Test
  void tenThousandProvidersOfOneNameEndCleanly() {
    int n = 10_000;
    List<ApkRecord> repo = new ArrayList<>();
    repo.add(record("p0", "2.0-r0", "so:libhostile.so.1", null));
    for (int i = 0; i < n; i++) {
      repo.add(record("q" + i, "1.0-r0", "so:libhostile.so.1", "so:libhostile.so.1=1"));
    }
    String outcome = assertTimeoutPreemptively(Duration.ofSeconds(60),
        () -> upgrade(repo, List.of(record("p0", "1.0-r0", null, null)), "p0\n"));
    assertTrue(outcome.startsWith("changes: ") || outcome.startsWith("refused: "), outcome);
  }
}
