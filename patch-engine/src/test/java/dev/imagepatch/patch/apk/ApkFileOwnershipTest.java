package dev.imagepatch.patch.apk;

import static dev.imagepatch.patch.testing.ApkBuilder.apk;
import static dev.imagepatch.patch.testing.FixtureReports.finding;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.patch.PatchException;
import dev.imagepatch.patch.PatchRequest;
import dev.imagepatch.patch.Patcher;
import dev.imagepatch.patch.testing.ApkBuilder;
import dev.imagepatch.patch.testing.FixtureApkImages;
import dev.imagepatch.patch.testing.FixtureApkImages.LayerEntry;
import dev.imagepatch.patch.testing.FixtureApkRepository;
import dev.imagepatch.patch.testing.FixtureImages;
import dev.imagepatch.patch.testing.FixtureReports;
import dev.imagepatch.pkg.apk.InstalledDatabase;
import dev.imagepatch.pkg.apk.InstalledPackage;
import dev.imagepatch.report.Report;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new version shipping a file another installed package owns, decided as apk-tools'
 * {@code apk_pkg_replaces_file} decides: taken over when the newcomer replaces the owner (the
 * owner's record gives the file up, in place), kept when the owner's replaces outranks, refused
 * otherwise ("trying to overwrite ... owned by ...").
 */
class ApkFileOwnershipTest {
  static final String MAIN = "alpine/v3.20/main";
  static final String X86 = "x86_64";

  static final ApkBuilder BUSYBOX = apk("busybox", "1.36.1-r29", X86).file("bin/busybox", "busybox\n", 0755)
      .file("usr/bin/wget", "wget applet\n", 0755);
  // Takes over /usr/bin/wget from busybox, saying so with replaces.
  static final ApkBuilder WGET_1 = apk("wget", "1.24.5-r0", X86).file("usr/share/doc/wget/README", "wget\n");
  static final ApkBuilder WGET_2 = apk("wget", "1.24.5-r1", X86).replaces("busybox")
      .file("usr/bin/wget", "GNU wget\n", 0755).file("usr/share/doc/wget/README", "wget\n");
  // Ships /usr/bin/wget too, replacing nobody.
  static final ApkBuilder CURL_1 = apk("curl", "8.9.1-r0", X86).file("usr/bin/curl", "curl 8.9.1-r0\n", 0755);
  static final ApkBuilder CURL_2 = apk("curl", "8.9.1-r1", X86).file("usr/bin/curl", "curl 8.9.1-r1\n", 0755)
      .file("usr/bin/wget", "curl's wget\n", 0755);

  @TempDir
  static Path work;
  @RegisterExtension
  static final FixtureApkRepository repo = FixtureApkRepository.start();
  static OciLayout source;

  @BeforeAll
  static void serveAndBuild() throws Exception {
    repo.publish(MAIN, BUSYBOX, WGET_1, WGET_2, CURL_1, CURL_2);
    source = OciLayout.openOrCreate(work.resolve("source"));
    FixtureApkImages.alpine("amd64", repo, MAIN, BUSYBOX, WGET_1, CURL_1).write(source, "3.20");
  }

  static Report report(String name, String from, String to) throws Exception {
    return FixtureReports.trivy("alpine", "3.20.3", "amd64", finding("CVE-2024-11111", name, from, to));
  }

  @Test
  void aNewVersionThatReplacesTheOwnerTakesTheFileAndTheOwnerGivesItUpInPlace() throws Exception {
    OciLayout target = OciLayout.openOrCreate(work.resolve("wget"));
    Patcher.create().patch(PatchRequest.builder(source, "3.20", report("wget", "1.24.5-r0", "1.24.5-r1"))
        .target(target, "patched").cacheDirectory(work.resolve("cache")).build());
    Map<String, LayerEntry> layer = FixtureApkImages.topLayer(target, "patched");
    assertEquals("GNU wget\n", layer.get("usr/bin/wget").text());
    InstalledDatabase db = InstalledDatabase.parse(layer.get("lib/apk/db/installed").text(), "patched");
    assertEquals(java.util.List.of("busybox", "curl", "wget"), db.packages().stream().map(InstalledPackage::name)
        .toList(), "busybox keeps its place; wget moves to the end");
    assertEquals(java.util.List.of("bin/busybox"), db.find("busybox").orElseThrow().files().stream()
        .map(f -> f.path()).toList(), "busybox gave usr/bin/wget up");
    assertTrue(db.find("wget").orElseThrow().files().stream().anyMatch(f -> f.path().equals("usr/bin/wget")));
  }

  @Test
  void aNewVersionOverwritingAFileItDoesNotReplaceIsRefused() throws Exception {
    OciLayout target = OciLayout.openOrCreate(work.resolve("curl"));
    Map<String, String> before = FixtureImages.snapshot(target);
    PatchException e = assertThrows(PatchException.class, () -> Patcher.create().patch(PatchRequest.builder(source,
        "3.20", report("curl", "8.9.1-r0", "8.9.1-r1")).target(target, "patched")
        .cacheDirectory(work.resolve("cache")).build()));
    assertTrue(e.getMessage().contains("curl-8.9.1-r1: trying to overwrite /usr/bin/wget owned by busybox-1.36.1-r29"),
        e.getMessage());
    assertEquals(before, FixtureImages.snapshot(target), "nothing written");
  }
}
