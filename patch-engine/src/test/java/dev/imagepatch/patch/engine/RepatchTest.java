package dev.imagepatch.patch.engine;
import dev.imagepatch.patch.RepositoryOptions;

import static dev.imagepatch.patch.testing.DebBuilder.deb;
import static dev.imagepatch.patch.testing.DebBuilder.hello;
import static dev.imagepatch.patch.testing.FixtureReports.finding;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.patch.PatchRequest;
import dev.imagepatch.patch.PatchResult;
import dev.imagepatch.patch.Patcher;
import dev.imagepatch.patch.testing.DebBuilder;
import dev.imagepatch.patch.testing.FixtureAptRepository;
import dev.imagepatch.patch.testing.FixtureImages;
import dev.imagepatch.patch.testing.FixtureReports;
import dev.imagepatch.report.Report;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Patching an image imagepatch already patched: the patch layer is replaced, never stacked. */
class RepatchTest {
  static final DebBuilder HELLO_1 = hello("1.0-1", "amd64");
  static final DebBuilder HELLO_2 = hello("1.0-2", "amd64");
  static final DebBuilder HELLO_3 = hello("1.0-3", "amd64");
  static final DebBuilder ZLIB_1 = deb("zlib1g", "1:1.2.13.dfsg-1", "amd64").file("/usr/lib/libz.txt", "z 1\n");
  static final DebBuilder ZLIB_2 = deb("zlib1g", "1:1.2.13.dfsg-1+deb12u1", "amd64").file("/usr/lib/libz.txt", "z 2\n");

  @TempDir
  static Path work;
  @RegisterExtension
  static final FixtureAptRepository repo = FixtureAptRepository.start();
  static OciLayout base;
  static OciLayout patched;
  static Report firstReport;

  @BeforeAll
  static void patchOnce() throws Exception {
    repo.publish("bookworm", HELLO_2, ZLIB_2);
    // The newer fix is in a suite the image does not name: the re-patch adds it as an extra
    // source, so the first patch cannot see it and the shared repository never changes.
    repo.publish("bookworm-updates", HELLO_3);
    base = OciLayout.openOrCreate(work.resolve("base"));
    FixtureImages.debian("amd64", repo, "bookworm", HELLO_1, ZLIB_1).write(base, "12");
    firstReport = FixtureReports.debian("amd64", finding("CVE-2024-45678", "hello", "1.0-1", "1.0-2"),
        finding("CVE-2023-45853", "zlib1g", "1:1.2.13.dfsg-1", "1:1.2.13.dfsg-1+deb12u1"));
    patched = OciLayout.openOrCreate(work.resolve("patched"));
    Patcher.create().patch(PatchRequest.builder(base, "12", firstReport).target(patched, "12-patched")
        .cacheDirectory(work.resolve("cache")).build());
  }

  @Test
  void aNewerFixReplacesThePatchLayerAndKeepsWhatTheFirstPatchUpgraded() throws Exception {
    Report rescan = FixtureReports.debian("amd64", finding("CVE-2024-56789", "hello", "1.0-2", "1.0-3"));
    OciLayout target = OciLayout.openOrCreate(work.resolve("repatched"));
    PatchResult result = Patcher.create().patch(PatchRequest.builder(patched, "12-patched", rescan)
        .target(target, "12-repatched").cacheDirectory(work.resolve("cache"))
        .repositories(RepositoryOptions.builder().extraRepository(repo.extraSource("bookworm-updates", work.resolve("fixture.gpg"))).build()).build());

    Manifest original = FixtureImages.manifest(base, "12");
    Manifest twice = FixtureImages.manifest(target, "12-repatched");
    assertEquals(2, twice.layers().size(), "still one patch layer");
    assertEquals(original.layers().get(0), twice.layers().get(0));
    assertEquals(2, FixtureImages.config(target, twice).diffIds().size());
    assertEquals(2, FixtureImages.config(target, twice).history().size());
    Map<String, byte[]> layer = FixtureImages.files(target, twice.layers().get(1));
    String status = new String(layer.get("var/lib/dpkg/status"), StandardCharsets.UTF_8);
    assertTrue(status.contains("\nVersion: 1.0-3\n"), status);
    assertTrue(status.contains("\nVersion: 1:1.2.13.dfsg-1+deb12u1\n"), "zlib1g stays at the first patch's version");
    assertEquals("z 2\n", new String(layer.get("usr/lib/libz.txt"), StandardCharsets.UTF_8),
        "the replacing layer carries the first patch's files too, since the old layer is gone");
    assertEquals(List.of("CVE-2024-56789"), result.fixed().stream().map(PatchResult.Fixed::vulnerability).toList());
  }

  /**
   * A patched image whose patch layer holds every fix the report asks for is up to date: nothing
   * is resolved, written or pushed, and the fixes are read from the earlier layer's database.
   */
  @Test
  void nothingNewToFixIsAlreadyUpToDateAndWritesNothing() throws Exception {
    Map<String, String> before = FixtureImages.snapshot(patched);
    PatchResult result = Patcher.create().patch(PatchRequest.builder(patched, "12-patched", firstReport)
        .target(patched, "12-patched").cacheDirectory(work.resolve("cache")).build());

    assertTrue(result.upToDate(), "changes: " + result.changes());
    assertTrue(result.manifest().isEmpty(), result.manifest().toString());
    assertEquals(before, FixtureImages.snapshot(patched));
    assertEquals(List.of("CVE-2024-45678", "CVE-2023-45853"), result.fixed().stream().map(PatchResult.Fixed::vulnerability).toList(),
        "the fixes are shown from the earlier patch's database");
  }
}
