package dev.imagepatch.pkg.rpm.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.pkg.io.ContentCache;
import dev.imagepatch.testing.SharedData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A repository opened from its base URL, through the metadata cache. */
class RpmRepositoryTest {
  @TempDir
  Path cacheDir;

  @Test
  void theSignedThirdPartyRepositoryOpensAndStreamsThroughTheCache() throws IOException {
    Path base = Vectors.dir(Vectors.MOCACINNO);
    ContentCache cache = new ContentCache(cacheDir);
    RpmRepository repo = RpmRepository.open(base.toUri(), RepomdSignature.keyring(List.of(
        base.resolve("mocacinno_pubkey.asc"))), true, cache, null);
    assertEquals(1, repo.repomd().signedBy().size());
    List<RpmRecord> packages = new ArrayList<>();
    PrimaryReader.Result r = repo.primary(packages::add);
    assertEquals(r.declared(), r.read());
    assertEquals(32, packages.size());
    assertTrue(packages.stream().allMatch(p -> p.arch().equals("noarch")));
    long[] files = new long[1];
    assertEquals(32, repo.filelists(e -> files[0] += e.files().size()).read());
    assertTrue(files[0] > 0);
    Repomd.Data primary = repo.repomd().require("primary", "m");
    Path cached = cacheDir.resolve("sha256").resolve(primary.checksum().hex());
    assertTrue(Files.isRegularFile(cached));
    // A second read is served by the cache.
    assertEquals(cached, cache.find("SHA-256", primary.checksum().hex()).orElseThrow());
    assertEquals(32, repo.primary(p -> { }).read());
  }

  @Test
  void anUnsignedRepositoryIsRefusedWithRepoGpgcheck() throws IOException {
    Path base = Vectors.dir(Vectors.BASEOS);
    IOException e = assertThrows(IOException.class, () -> RpmRepository.open(base.toUri(),
        RepomdSignature.keyring(List.of(SharedData.path("vectors/rpm/keys/RPM-GPG-KEY-CentOS-Official-SHA256"))),
        true, new ContentCache(cacheDir), null));
    assertTrue(e.getMessage().contains("no repomd.xml.asc"), e.getMessage());
  }

  @Test
  void theCacheRefusesContentThatIsNotWhatRepomdSays() throws IOException {
    ContentCache cache = new ContentCache(cacheDir);
    String wrong = "11".repeat(32);
    IOException e = assertThrows(IOException.class, () -> cache.get("SHA-256", wrong, 5,
        () -> new java.io.ByteArrayInputStream("hello".getBytes(java.nio.charset.StandardCharsets.US_ASCII)),
        "https://mirror.example/repodata/x.xml.gz"));
    assertTrue(e.getMessage().contains("does not match"), e.getMessage());
    assertTrue(cache.find("SHA-256", wrong).isEmpty());
    try (var s = Files.list(cacheDir.resolve("sha256"))) {
      assertEquals(0, s.count(), "no temporary file left behind");
    }
  }
}
