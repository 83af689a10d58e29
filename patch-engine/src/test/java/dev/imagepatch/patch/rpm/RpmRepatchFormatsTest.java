package dev.imagepatch.patch.rpm;

import static dev.imagepatch.patch.rpm.ArchRepositories.pkg;
import static dev.imagepatch.patch.testing.FixtureReports.finding;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.patch.PatchRequest;
import dev.imagepatch.patch.PatchResult;
import dev.imagepatch.patch.Patcher;
import dev.imagepatch.patch.RepositoryOptions;
import dev.imagepatch.patch.testing.FixtureImages;
import dev.imagepatch.patch.testing.FixtureReports;
import dev.imagepatch.patch.testing.FixtureRpmImages;
import dev.imagepatch.patch.testing.FixtureRpmImages.Db;
import dev.imagepatch.patch.testing.FixtureRpmRepository;
import dev.imagepatch.patch.testing.RpmJudges;
import dev.imagepatch.patch.testing.RpmSpec;
import dev.imagepatch.report.Report;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Re-patching the images whose database is not SQLite: a Berkeley DB one (RHEL/UBI 8, Amazon
 * Linux 2) and a distroless Azure Linux one with only its container manifests. The earlier patch
 * layer's database or manifest is read to keep its upgrades; the replacing layer carries the
 * whole database (judged by the real {@code rpm} with {@code _db_backend bdb_ro} and
 * {@code db5.3_verify}) or the manifests in their format.
 */
class RpmRepatchFormatsTest {
  static final RpmSpec CURL_1 = pkg("curl", "7.76.1-26.el9", "x86_64");
  static final RpmSpec CURL_2 = pkg("curl", "7.76.1-28.el9", "x86_64");
  static final RpmSpec CURL_3 = pkg("curl", "7.76.1-29.el9_4", "x86_64");
  static final RpmSpec OPENSSL_1 = pkg("openssl-libs", "1:3.0.7-24.el9", "x86_64");
  static final RpmSpec OPENSSL_2 = pkg("openssl-libs", "1:3.0.7-25.el9_3", "x86_64");
  static final String AZURE_LINUX = "NAME=\"Microsoft Azure Linux\"\nVERSION=\"3.0.20240727\"\nID=azurelinux\n"
      + "VERSION_ID=\"3.0\"\nPRETTY_NAME=\"Microsoft Azure Linux 3.0\"\n";

  @TempDir
  static Path work;
  @RegisterExtension
  static final FixtureRpmRepository repo = FixtureRpmRepository.start();
  static Path key;

  @BeforeAll
  static void publish() throws Exception {
    FixtureRpmRepository.requireTools();
    ArchRepositories.publish(repo, "baseos", CURL_2, OPENSSL_2);
    ArchRepositories.publish(repo, "updates", CURL_3);
    key = repo.writeKey(work.resolve("keys"));
  }

  /** {@code --extra-repository} .repo files of {@code repos} (keys from this machine), and the key. */
  static RepositoryOptions extra(String... repos) throws Exception {
    RepositoryOptions.Builder b = RepositoryOptions.builder().key(key);
    for (String r : repos) {
      Path file = Files.writeString(work.resolve(r + ".repo"), ArchRepositories.repoFile(repo, key.toUri().toString(),
          Map.of(), r));
      b.extraRepository(file.toString());
    }
    return b.build();
  }

  static Report report(Db db, FixtureReports.Finding... findings) throws Exception {
    return db == Db.MANIFEST_ONLY ? FixtureReports.trivy("azurelinux", "3.0", "amd64", findings)
        : FixtureReports.trivy("rocky", "9.3", "amd64", findings);
  }

  @ParameterizedTest
  @EnumSource(value = Db.class, names = {"BDB", "MANIFEST_ONLY"})
  void theReplacingLayerKeepsTheFirstPatchInTheImagesOwnFormat(Db db) throws Exception {
    OciLayout base = OciLayout.openOrCreate(work.resolve("base-" + db));
    FixtureRpmImages.Spec image = FixtureRpmImages.rocky(repo, null, CURL_1, OPENSSL_1).db(db)
        .repoFile(ArchRepositories.repoFile(repo, "baseos"));
    (db == Db.MANIFEST_ONLY ? image.osRelease(AZURE_LINUX) : image).write(base, "1");
    // The distroless image names no repository: every one is given.
    List<String> first = db == Db.MANIFEST_ONLY ? List.of("baseos") : List.of();
    List<String> second = new ArrayList<>(first);
    second.add("updates");

    Report firstReport = report(db, finding("CVE-2023-38545", "curl", "7.76.1-26.el9", "7.76.1-28.el9"),
        finding("CVE-2023-5678", "openssl-libs", "1:3.0.7-24.el9", "1:3.0.7-25.el9_3"));
    OciLayout patched = OciLayout.openOrCreate(work.resolve("patched-" + db));
    Patcher.create().patch(PatchRequest.builder(base, "1", firstReport).target(patched, "1-patched")
        .cacheDirectory(work.resolve("cache")).repositories(extra(first.toArray(String[]::new))).build());

    Report rescan = report(db, finding("CVE-2024-2398", "curl", "7.76.1-28.el9", "7.76.1-29.el9_4"));
    OciLayout target = OciLayout.openOrCreate(work.resolve("repatched-" + db));
    PatchResult result = Patcher.create().patch(PatchRequest.builder(patched, "1-patched", rescan)
        .target(target, "1-repatched").cacheDirectory(work.resolve("cache"))
        .repositories(extra(second.toArray(String[]::new))).build());

    Manifest twice = FixtureImages.manifest(target, "1-repatched");
    assertEquals(2, twice.layers().size(), "still one patch layer");
    Map<String, byte[]> layer = FixtureImages.files(target, twice.layers().get(1));
    assertEquals(ArchRepositories.text("openssl-libs", "1:3.0.7-25.el9_3", "x86_64"),
        new String(layer.get("usr/share/openssl-libs/openssl-libs.txt"), StandardCharsets.UTF_8));
    assertEquals(List.of("CVE-2024-2398"), result.fixed().stream().map(PatchResult.Fixed::vulnerability).toList());
    if (db == Db.BDB) {
      assertFalse(layer.containsKey("var/lib/rpm/rpmdb.sqlite"), layer.keySet().toString());
      assertEquals(List.of("curl-7.76.1-29.el9_4.x86_64", "openssl-libs-1:3.0.7-25.el9_3.x86_64"),
          RpmJudges.rpmQueryAll(layer));
      Path packages = Files.write(Files.createTempFile(work, "Packages", ""), layer.get("var/lib/rpm/Packages"));
      FixtureRpmRepository.run(List.of("db5.3_verify", "-q", packages.toString()), null);
    } else {
      String manifest = new String(layer.get("var/lib/rpmmanifest/container-manifest-2"), StandardCharsets.UTF_8);
      assertTrue(manifest.lines().anyMatch(l -> l.startsWith("curl\t7.76.1-29.el9_4\t")), manifest);
      // Columns: name, version-release, install time, build time, vendor, "(none)" as Azure Linux's generator
      // writes it, size, arch, EPOCHNUM (where Trivy reads the epoch), source rpm.
      String[] openssl = manifest.lines().filter(l -> l.startsWith("openssl-libs\t")).findFirst().orElseThrow().split("\t");
      assertEquals(List.of("3.0.7-25.el9_3", "(none)", "x86_64", "1"), List.of(openssl[1], openssl[5], openssl[7],
          openssl[8]), manifest);
      assertEquals(2, manifest.lines().count(), manifest);
      assertFalse(layer.keySet().stream().anyMatch(p -> p.startsWith("var/lib/rpm/")), layer.keySet().toString());
    }

    // Asked again for what the patch layer holds: up to date, nothing written.
    Map<String, String> before = FixtureImages.snapshot(patched);
    PatchResult again = Patcher.create().patch(PatchRequest.builder(patched, "1-patched", firstReport)
        .target(patched, "1-patched").cacheDirectory(work.resolve("cache"))
        .repositories(extra(first.toArray(String[]::new))).build());
    assertTrue(again.upToDate(), again.changes().toString());
    assertEquals(before, FixtureImages.snapshot(patched));
    assertEquals(List.of("CVE-2023-38545", "CVE-2023-5678"), again.fixed().stream()
        .map(PatchResult.Fixed::vulnerability).toList());
  }
}
