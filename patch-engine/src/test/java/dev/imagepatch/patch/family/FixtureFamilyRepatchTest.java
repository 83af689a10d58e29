package dev.imagepatch.patch.family;

import static dev.imagepatch.patch.family.FixtureOs.pkg;
import static dev.imagepatch.patch.family.FixtureOs.text;
import static dev.imagepatch.patch.testing.FixtureReports.finding;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.patch.PatchRequest;
import dev.imagepatch.patch.PatchResult;
import dev.imagepatch.patch.Patcher;
import dev.imagepatch.patch.RepositoryOptions;
import dev.imagepatch.patch.testing.FixtureImages;
import dev.imagepatch.report.Report;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A patched fixtureos image patched again: the pipeline replaces the patch layer, whatever the family. */
class FixtureFamilyRepatchTest {
  @TempDir
  static Path work;
  static Path updates;
  static OciLayout base;
  static OciLayout patched;
  static Report firstReport;

  @BeforeAll
  static void patchOnce() throws Exception {
    Path repo = work.resolve("repo");
    FixtureOs.publish(repo, "amd64", pkg("hello", "1.1", "amd64"), pkg("zlib", "2.1", "amd64"));
    // The newer fix is in a repository the image does not name, so the first patch cannot see it.
    updates = work.resolve("updates");
    FixtureOs.publish(updates, "amd64", pkg("hello", "1.2", "amd64"));
    base = OciLayout.openOrCreate(work.resolve("base"));
    FixtureOs.image(base, "1", "amd64", repo, pkg("hello", "1.0", "amd64"), pkg("zlib", "2.0", "amd64"));
    firstReport = FixtureOs.report("amd64", finding("CVE-2024-33333", "hello", "1.0", "1.1"),
        finding("CVE-2024-44444", "zlib", "2.0", "2.1"));
    patched = OciLayout.openOrCreate(work.resolve("patched"));
    Patcher.create().patch(PatchRequest.builder(base, "1", firstReport).target(patched, "1-patched").build());
  }

  @Test
  void aNewerFixReplacesThePatchLayerAndKeepsWhatTheFirstPatchInstalled() throws Exception {
    OciLayout target = OciLayout.openOrCreate(work.resolve("repatched"));
    PatchResult result = Patcher.create().patch(PatchRequest.builder(patched, "1-patched",
        FixtureOs.report("amd64", finding("CVE-2024-55555", "hello", "1.1", "1.2")))
        .target(target, "1-repatched")
        .repositories(RepositoryOptions.builder().extraRepository(updates.toUri().toString()).build()).build());

    Manifest original = FixtureImages.manifest(base, "1");
    Manifest twice = FixtureImages.manifest(target, "1-repatched");
    assertEquals(original.layers().size() + 1, twice.layers().size(), "still one patch layer");
    Map<String, byte[]> layer = FixtureImages.topLayer(target, "1-repatched");
    assertEquals("hello 1.2 for amd64", text(layer.get("usr/lib/fixture/hello")));
    assertEquals("zlib 2.1 for amd64", text(layer.get("usr/lib/fixture/zlib")), "the first patch's upgrade is kept");
    assertEquals("hello 1.2 x86_64 usr/lib/fixture/hello\nzlib 2.1 x86_64 usr/lib/fixture/zlib\n",
        text(layer.get("var/lib/fixture/installed")));
    assertEquals(List.of("CVE-2024-55555"), result.fixed().stream().map(PatchResult.Fixed::vulnerability).toList());
  }

  @Test
  void nothingNewToFixIsUpToDateAndWritesNothing() throws Exception {
    Map<String, String> before = FixtureImages.snapshot(patched);
    PatchResult result = Patcher.create().patch(PatchRequest.builder(patched, "1-patched", firstReport)
        .target(patched, "1-patched").build());

    assertTrue(result.upToDate(), "changes: " + result.changes());
    assertTrue(result.manifest().isEmpty());
    assertEquals(before, FixtureImages.snapshot(patched));
    assertEquals(List.of("CVE-2024-33333", "CVE-2024-44444"), result.fixed().stream()
        .map(PatchResult.Fixed::vulnerability).toList(), "read from the earlier patch layer's database");
  }
}
