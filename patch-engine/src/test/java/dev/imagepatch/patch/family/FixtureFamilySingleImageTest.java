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
import dev.imagepatch.patch.testing.FixtureImages;
import dev.imagepatch.pkg.PackageManager;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A fixtureos image patched through {@code Patcher.create()}: the pipeline found the family with ServiceLoader. */
class FixtureFamilySingleImageTest {
  @TempDir
  Path work;

  @Test
  void aFixedCveIsOneNewLayerWithTheNewPackageAndDatabase() throws Exception {
    Path repo = work.resolve("repo");
    FixtureOs.publish(repo, "amd64", pkg("hello", "1.1", "amd64"), pkg("zlib", "2.0", "amd64"));
    OciLayout source = OciLayout.openOrCreate(work.resolve("source"));
    FixtureOs.image(source, "1", "amd64", repo, pkg("hello", "1.0", "amd64", "usr/share/doc/hello/OLD-NEWS"),
        pkg("zlib", "2.0", "amd64"));
    OciLayout target = OciLayout.openOrCreate(work.resolve("target"));

    PatchResult result = Patcher.create().patch(PatchRequest.builder(source, "1",
        FixtureOs.report("amd64", finding("CVE-2024-11111", "hello", "1.0", "1.1")))
        .target(target, "1-patched").build());

    assertEquals(List.of(new PatchResult.Fixed("CVE-2024-11111", "hello", "1.1")), result.fixed());
    assertEquals(Optional.of(PackageManager.RPM), result.packageManager());
    Manifest before = FixtureImages.manifest(source, "1");
    Manifest after = FixtureImages.manifest(target, "1-patched");
    assertEquals(before.layers().size() + 1, after.layers().size());
    assertEquals(before.layers(), after.layers().subList(0, before.layers().size()));
    Map<String, byte[]> layer = FixtureImages.files(target, after.layers().get(after.layers().size() - 1));
    assertEquals("hello 1.1 for amd64", text(layer.get("usr/lib/fixture/hello")));
    assertTrue(layer.containsKey("usr/share/doc/hello/.wh.OLD-NEWS"), "a file 1.1 dropped is whited out: "
        + layer.keySet());
    assertEquals("hello 1.1 x86_64 usr/lib/fixture/hello\nzlib 2.0 x86_64 usr/lib/fixture/zlib\n",
        text(layer.get("var/lib/fixture/installed")));
    assertEquals(3, layer.size(), "the new file, the whiteout, the database: " + layer.keySet());
  }
}
