package dev.imagepatch.patch.apk;

import static dev.imagepatch.patch.testing.ApkBuilder.apk;
import static dev.imagepatch.patch.testing.FixtureReports.finding;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Index;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.MediaTypes;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.patch.PatchRequest;
import dev.imagepatch.patch.PatchResult;
import dev.imagepatch.patch.Patcher;
import dev.imagepatch.patch.testing.ApkBuilder;
import dev.imagepatch.patch.testing.FixtureApkImages;
import dev.imagepatch.patch.testing.FixtureApkImages.LayerEntry;
import dev.imagepatch.patch.testing.FixtureApkRepository;
import dev.imagepatch.patch.testing.FixtureImages;
import dev.imagepatch.patch.testing.FixtureReports;
import dev.imagepatch.patch.testing.LayerAudit;
import dev.imagepatch.report.Report;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** A Wolfi (usrmerged) image, and an Alpine index of x86_64 and aarch64 images, patched end to end. */
class ApkLayoutsTest {
  static final String WOLFI = "wolfi/os";
  static final String MAIN = "alpine/v3.20/main";
  static final String CVE = "CVE-2024-56789";

  // As Wolfi packages are: an SBOM of their own under var/lib/db/sbom, named by version; one file
  // shipped under lib/ (which the image has as a symlink to usr/lib).
  static final ApkBuilder LIBZ_1 = apk("zlib", "1.3.1-r0", "x86_64").file("usr/lib/libz.so.1", "zlib 1.3.1-r0\n", 0755)
      .file("lib/libz-compat.txt", "compat r0\n").file("lib/libz-old.txt", "dropped in r1\n")
      .file("var/lib/db/sbom/zlib-1.3.1-r0.spdx.json", "{\"name\":\"zlib-1.3.1-r0\"}\n");
  static final ApkBuilder LIBZ_2 = apk("zlib", "1.3.1-r1", "x86_64").file("usr/lib/libz.so.1", "zlib 1.3.1-r1\n", 0755)
      .file("lib/libz-compat.txt", "compat r1\n")
      .file("var/lib/db/sbom/zlib-1.3.1-r1.spdx.json", "{\"name\":\"zlib-1.3.1-r1\"}\n");
  static final ApkBuilder GLIBC = apk("glibc", "2.40-r0", "x86_64").file("usr/lib/libc.so.6", "glibc\n", 0755);

  @TempDir
  static Path work;
  @RegisterExtension
  static final FixtureApkRepository repo = FixtureApkRepository.start();
  static OciLayout wolfi;
  static OciLayout multi;
  static Index index;

  static ApkBuilder hello(String version, String arch) {
    return apk("hello", version, arch).file("usr/bin/hello", "hello " + version + " for " + arch + "\n");
  }

  @BeforeAll
  static void serveAndBuild() throws Exception {
    repo.publish(WOLFI, GLIBC, LIBZ_1, LIBZ_2);
    repo.publish(MAIN, hello("1.0-r0", "x86_64"), hello("1.0-r1", "x86_64"), hello("1.0-r0", "aarch64"),
        hello("1.0-r1", "aarch64"));
    wolfi = OciLayout.openOrCreate(work.resolve("wolfi"));
    FixtureApkImages.alpine("amd64", repo, WOLFI, GLIBC, LIBZ_1).osId("wolfi").usrmerged().write(wolfi, "latest");
    multi = OciLayout.openOrCreate(work.resolve("multi"));
    List<Descriptor> entries = new ArrayList<>();
    for (String arch : List.of("amd64", "arm64")) {
      entries.add(FixtureApkImages.alpine(arch, repo, MAIN, hello("1.0-r0", FixtureApkImages.apkArch(arch)))
          .write(multi, null).withAnnotation("org.example.arch", arch));
    }
    index = FixtureImages.index(multi, "3.20", entries);
  }

  @Test
  void aWolfiImageIsPatchedThroughItsUsrmergeAndTheOldSbomIsWhitedOut() throws Exception {
    OciLayout target = OciLayout.openOrCreate(work.resolve("wolfi-patched"));
    Report report = FixtureReports.trivy("wolfi", "20230201", "amd64", finding(CVE, "zlib", "1.3.1-r0", "1.3.1-r1"));
    PatchResult result = Patcher.create().patch(PatchRequest.builder(wolfi, "latest", report)
        .target(target, "patched").cacheDirectory(work.resolve("cache")).build());

    assertEquals(List.of(new PatchResult.Fixed(CVE, "zlib", "1.3.1-r1")), result.fixed());
    assertEquals(List.of(), LayerAudit.topLayer(target, "patched"));
    Map<String, LayerEntry> layer = FixtureApkImages.topLayer(target, "patched");
    assertFalse(layer.keySet().stream().anyMatch(p -> p.equals("lib") || p.startsWith("lib/")),
        "nothing written under the lib symlink: " + layer.keySet());
    assertEquals("zlib 1.3.1-r1\n", layer.get("usr/lib/libz.so.1").text());
    assertEquals("compat r1\n", layer.get("usr/lib/libz-compat.txt").text(), "lib/ files land in usr/lib");
    assertTrue(layer.containsKey("usr/lib/.wh.libz-old.txt"), layer.keySet().toString());
    assertTrue(layer.containsKey("var/lib/db/sbom/.wh.zlib-1.3.1-r0.spdx.json"), "the old SBOM is whited out");
    assertTrue(layer.containsKey("var/lib/db/sbom/zlib-1.3.1-r1.spdx.json"));
    String expected = repo.built(WOLFI, GLIBC).installed(null).text() + "\n"
        + repo.built(WOLFI, LIBZ_2).installed(null).text() + "\n";
    assertEquals(expected, layer.get("usr/lib/apk/db/installed").text(), "the database at its real path");
  }

  @Test
  void bothPlatformsOfAnIndexArePatchedWithTheirOwnArchitecturesPackages() throws Exception {
    OciLayout target = OciLayout.openOrCreate(work.resolve("multi-patched"));
    PatchRequest.Builder b = PatchRequest.builder(multi, "3.20").target(target, "patched")
        .cacheDirectory(work.resolve("cache"));
    for (String arch : List.of("amd64", "arm64")) {
      b.report(FixtureReports.trivy("alpine", "3.20.3", arch, finding(CVE, "hello", "1.0-r0", "1.0-r1")));
    }
    PatchResult result = Patcher.create().patch(b.build());

    Index patched = (Index) target.fetchManifest("patched");
    assertEquals(result.patched().orElseThrow(), patched.digest());
    assertEquals(MediaTypes.OCI_INDEX, patched.mediaType());
    assertEquals(index.annotations(), patched.annotations());
    for (int i = 0; i < 2; i++) {
      String arch = i == 0 ? "x86_64" : "aarch64";
      Descriptor before = index.manifests().get(i);
      Descriptor after = patched.manifests().get(i);
      assertNotEquals(before.digest(), after.digest(), arch + " patched");
      assertEquals(before.platform(), after.platform());
      assertEquals(before.annotations().get("org.example.arch"), after.annotations().get("org.example.arch"));
      Map<String, LayerEntry> layer = FixtureApkImages.topLayer(target, after.digest().toString());
      assertEquals("hello 1.0-r1 for " + arch + "\n", layer.get("usr/bin/hello").text());
      assertTrue(layer.get("lib/apk/db/installed").text().contains("\nA:" + arch + "\n"));
      // The index is written once its children are whole in the target.
      Manifest m = FixtureImages.manifest(target, after.digest().toString());
      assertTrue(target.hasBlob(m.config()));
      for (Descriptor l : m.layers()) {
        assertTrue(target.hasBlob(l), arch + " layer " + l);
      }
    }
    assertEquals(List.of("amd64", "arm64"), result.platforms().stream().map(p -> p.platform().orElseThrow()).toList());
    result.platforms().forEach(p -> assertEquals(List.of(CVE), p.fixed().stream()
        .map(PatchResult.Fixed::vulnerability).toList()));
  }
}
