package dev.imagepatch.patch.rpm;

import static dev.imagepatch.patch.rpm.ArchRepositories.pkg;
import static dev.imagepatch.patch.testing.FixtureReports.finding;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.patch.PatchRequest;
import dev.imagepatch.patch.PatchResult;
import dev.imagepatch.patch.PatchResult.PackageChange;
import dev.imagepatch.patch.Patcher;
import dev.imagepatch.patch.RepositoryOptions;
import dev.imagepatch.patch.testing.FixtureImages;
import dev.imagepatch.patch.testing.FixtureReports;
import dev.imagepatch.patch.testing.FixtureRpmImages;
import dev.imagepatch.patch.testing.FixtureRpmRepository;
import dev.imagepatch.patch.testing.RpmJudges;
import dev.imagepatch.patch.testing.RpmSpec;
import dev.imagepatch.report.Report;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Patching an rpm image imagepatch already patched: the patch layer is replaced, never stacked,
 * and carries what the first patch upgraded (its database too, epochs included); the newer fix
 * comes from an {@code --extra-repository} .repo file whose key is given as a file.
 */
class RpmRepatchTest {
  static final RpmSpec CURL_1 = pkg("curl", "7.76.1-26.el9", "x86_64");
  static final RpmSpec CURL_2 = pkg("curl", "7.76.1-28.el9", "x86_64");
  static final RpmSpec CURL_3 = pkg("curl", "7.76.1-29.el9_4", "x86_64");
  static final RpmSpec OPENSSL_1 = pkg("openssl-libs", "1:3.0.7-24.el9", "x86_64");
  static final RpmSpec OPENSSL_2 = pkg("openssl-libs", "1:3.0.7-25.el9_3", "x86_64");

  @TempDir
  static Path work;
  @RegisterExtension
  static final FixtureRpmRepository repo = FixtureRpmRepository.start();
  static OciLayout base;
  static OciLayout patched;
  static Report firstReport;

  @BeforeAll
  static void patchOnce() throws Exception {
    FixtureRpmRepository.requireTools();
    ArchRepositories.publish(repo, "baseos", CURL_2, OPENSSL_2);
    // The newer fix is in a repository the image does not name: the re-patch adds it as an extra
    // repository, so the first patch cannot see it.
    ArchRepositories.publish(repo, "updates", CURL_3);
    base = OciLayout.openOrCreate(work.resolve("base"));
    FixtureRpmImages.rocky(repo, null, CURL_1, OPENSSL_1).repoFile(ArchRepositories.repoFile(repo, "baseos"))
        .write(base, "9");
    firstReport = FixtureReports.trivy("rocky", "9.3", "amd64", finding("CVE-2023-38545", "curl", "7.76.1-26.el9",
        "7.76.1-28.el9"), finding("CVE-2023-5678", "openssl-libs", "1:3.0.7-24.el9", "1:3.0.7-25.el9_3"));
    patched = OciLayout.openOrCreate(work.resolve("patched"));
    Patcher.create().patch(PatchRequest.builder(base, "9", firstReport).target(patched, "9-patched")
        .cacheDirectory(work.resolve("cache")).build());
  }

  /** {@code --extra-repository} of a .repo file naming updates, its key a file on this machine. */
  static RepositoryOptions withUpdates() throws Exception {
    Path key = repo.writeKey(work.resolve("keys"));
    Path file = java.nio.file.Files.writeString(work.resolve("updates.repo"),
        ArchRepositories.repoFile(repo, key.toUri().toString(), Map.of(), "updates"));
    return RepositoryOptions.builder().extraRepository(file.toString()).build();
  }

  @Test
  void aNewerFixReplacesThePatchLayerAndKeepsWhatTheFirstPatchUpgraded() throws Exception {
    Report rescan = FixtureReports.trivy("rocky", "9.3", "amd64", finding("CVE-2024-2398", "curl", "7.76.1-28.el9",
        "7.76.1-29.el9_4"));
    OciLayout target = OciLayout.openOrCreate(work.resolve("repatched"));
    PatchResult result = Patcher.create().patch(PatchRequest.builder(patched, "9-patched", rescan)
        .target(target, "9-repatched").cacheDirectory(work.resolve("cache")).repositories(withUpdates()).build());

    Manifest original = FixtureImages.manifest(base, "9");
    Manifest twice = FixtureImages.manifest(target, "9-repatched");
    assertEquals(2, twice.layers().size(), "still one patch layer");
    assertEquals(original.layers().get(0), twice.layers().get(0));
    assertEquals(2, FixtureImages.config(target, twice).diffIds().size());
    assertEquals(2, FixtureImages.config(target, twice).history().size());
    Map<String, byte[]> layer = FixtureImages.files(target, twice.layers().get(1));
    assertEquals(List.of("curl-7.76.1-29.el9_4.x86_64", "openssl-libs-1:3.0.7-25.el9_3.x86_64"),
        RpmJudges.rpmQueryAll(layer), "openssl-libs stays at the first patch's version, epoch and all");
    assertEquals(ArchRepositories.text("openssl-libs", "1:3.0.7-25.el9_3", "x86_64"),
        new String(layer.get("usr/share/openssl-libs/openssl-libs.txt"), StandardCharsets.UTF_8),
        "the replacing layer carries the first patch's files too, since the old layer is gone");
    assertEquals("curl 7.76.1-29.el9_4 x86_64\n", new String(layer.get("usr/share/curl/curl.txt"), StandardCharsets.UTF_8));
    assertEquals(List.of("CVE-2024-2398"), result.fixed().stream().map(PatchResult.Fixed::vulnerability).toList());
  }

  /** Update-all on a patched image: the first patch's upgrades are kept, the newer curl taken. */
  @Test
  void withoutAReportTheRepatchKeepsTheFirstPatchAndTakesWhatIsNewer() throws Exception {
    PatchResult result = Patcher.create().patch(PatchRequest.builder(patched, "9-patched").dryRun(true)
        .cacheDirectory(work.resolve("cache")).repositories(withUpdates()).build());

    assertTrue(result.changes().contains(new PackageChange("curl", "x86_64", "7.76.1-26.el9", "7.76.1-29.el9_4",
        "requested")), result.changes().toString());
    assertTrue(result.changes().stream().anyMatch(c -> c.name().equals("openssl-libs") && c.to().equals("1:3.0.7-25.el9_3")),
        "kept from the first patch: " + result.changes());
  }

  /**
   * A patched image whose patch layer holds every fix the report asks for is up to date: nothing
   * is resolved, written or pushed, and the fixes are read from the earlier layer's database.
   */
  @Test
  void nothingNewToFixIsAlreadyUpToDateAndWritesNothing() throws Exception {
    Map<String, String> before = FixtureImages.snapshot(patched);
    PatchResult result = Patcher.create().patch(PatchRequest.builder(patched, "9-patched", firstReport)
        .target(patched, "9-patched").cacheDirectory(work.resolve("cache")).build());

    assertTrue(result.upToDate(), "changes: " + result.changes());
    assertTrue(result.manifest().isEmpty(), result.manifest().toString());
    assertEquals(before, FixtureImages.snapshot(patched));
    assertEquals(List.of("CVE-2023-38545", "CVE-2023-5678"), result.fixed().stream()
        .map(PatchResult.Fixed::vulnerability).toList(), "the fixes are shown from the earlier patch's database");
  }
}
