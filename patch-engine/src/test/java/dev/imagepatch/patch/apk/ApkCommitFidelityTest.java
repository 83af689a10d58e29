package dev.imagepatch.patch.apk;

import static dev.imagepatch.patch.testing.ApkBuilder.apk;
import static dev.imagepatch.patch.testing.FixtureReports.finding;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.patch.PatchRequest;
import dev.imagepatch.patch.PatchResult;
import dev.imagepatch.patch.Patcher;
import dev.imagepatch.patch.ScriptNotRun;
import dev.imagepatch.patch.testing.ApkBuilder;
import dev.imagepatch.patch.testing.FixtureApkImages;
import dev.imagepatch.patch.testing.FixtureApkImages.LayerEntry;
import dev.imagepatch.patch.testing.FixtureApkRepository;
import dev.imagepatch.patch.testing.FixtureReports;
import dev.imagepatch.report.Report;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What apk-tools 2's commit does beyond unpacking, checked against its source: the purge of an old
 * version's files in protected paths ({@code apk_db_purge_pkg}), the triggers an upgraded package
 * fires ({@code fire_triggers}, {@code run_all_triggers}), and a change of repository tag only
 * ({@code apk_solver_commit_changeset}: no install when old and new package are the same).
 */
class ApkCommitFidelityTest {
  static final String MAIN = "alpine/v3.20/main";
  static final String EDGE = "alpine/edge/main";
  static final String X86 = "x86_64";

  // 1.0-r1 drops both files under /etc/conf: the image changed one of them.
  static final ApkBuilder CONF_1 = apk("conf", "1.0-r0", X86).file("usr/bin/conf", "conf r0\n")
      .file("etc/conf/kept.conf", "shipped\n").file("etc/conf/plain.conf", "shipped too\n");
  static final ApkBuilder CONF_2 = apk("conf", "1.0-r1", X86).file("usr/bin/conf", "conf r1\n");
  // A trigger over directories other, unchanged packages own (as fontconfig's over /usr/share/fonts/*).
  static final ApkBuilder FONTCACHE_1 = apk("fontcache", "1.0-r0", X86).file("usr/bin/fc-cache", "fc r0\n")
      .script(".trigger", "#!/bin/sh\nfc-cache\n").triggers("/usr/share/fonts/*");
  static final ApkBuilder FONTCACHE_2 = apk("fontcache", "1.0-r1", X86).file("usr/bin/fc-cache", "fc r1\n")
      .script(".trigger", "#!/bin/sh\nfc-cache\n").triggers("/usr/share/fonts/*");
  static final ApkBuilder FONT = apk("font-dejavu", "2.37-r5", X86).file("usr/share/fonts/dejavu/DejaVuSans.ttf",
      "ttf\n");
  static final ApkBuilder ZLIB_1 = apk("zlib", "1.3.1-r0", X86).file("lib/libz.so.1", "zlib 1.3.1-r0\n", 0755);

  @TempDir
  static Path work;
  @RegisterExtension
  static final FixtureApkRepository repo = FixtureApkRepository.start();

  @BeforeAll
  static void serve() throws Exception {
    repo.publish(MAIN, CONF_1, CONF_2, FONTCACHE_1, FONTCACHE_2, FONT, ZLIB_1);
    repo.publish(EDGE, ZLIB_1);
  }

  static Report report(String name, String from, String to) throws Exception {
    return FixtureReports.trivy("alpine", "3.20.3", "amd64", finding("CVE-2024-22222", name, from, to));
  }

  static PatchResult patch(OciLayout src, Report report, OciLayout target) throws Exception {
    return Patcher.create().patch(PatchRequest.builder(src, "3.20", report).target(target, "patched")
        .cacheDirectory(work.resolve("cache")).build());
  }

  /**
   * apk_db_purge_pkg unlinks an old file in a protected path only when its checksum is still the
   * one recorded: a configuration file the image changed stays, the unchanged one goes.
   */
  @Test
  void aProtectedFileTheOldVersionHadAndTheImageChangedIsNotWhitedOut() throws Exception {
    OciLayout img = OciLayout.openOrCreate(work.resolve("conf"));
    FixtureApkImages.alpine("amd64", repo, MAIN, CONF_1).file("etc/conf/kept.conf", "changed by the image\n")
        .write(img, "3.20");
    OciLayout target = OciLayout.openOrCreate(work.resolve("conf-patched"));
    patch(img, report("conf", "1.0-r0", "1.0-r1"), target);

    Map<String, LayerEntry> layer = FixtureApkImages.topLayer(target, "patched");
    assertFalse(layer.containsKey("etc/conf/.wh.kept.conf"), "apk keeps a changed protected file: " + layer.keySet());
    assertTrue(layer.containsKey("etc/conf/.wh.plain.conf"), "an unchanged one goes: " + layer.keySet());
  }

  /**
   * An upgraded package's ipkg has run_all_triggers set (apk_db_install_pkg), so fire_triggers
   * matches its globs against every directory of the database, changed or not.
   */
  @Test
  void anUpgradedPackagesTriggerFiresOnDirectoriesOtherPackagesOwn() throws Exception {
    OciLayout img = OciLayout.openOrCreate(work.resolve("fonts"));
    FixtureApkImages.alpine("amd64", repo, MAIN, FONTCACHE_1, FONT).write(img, "3.20");
    OciLayout target = OciLayout.openOrCreate(work.resolve("fonts-patched"));
    PatchResult result = patch(img, report("fontcache", "1.0-r0", "1.0-r1"), target);

    assertTrue(result.scriptsNotRun().contains(new ScriptNotRun("fontcache", "trigger, for /usr/share/fonts/dejavu")),
        result.scriptsNotRun().toString());
  }

  /**
   * A package whose only change is its repository tag (installed from @edge, no longer pinned, the
   * same version in the untagged repository) is not reinstalled: apk_solver_commit_changeset calls
   * apk_db_install_pkg only when old and new differ, and then only sets repository_tag, so the record
   * keeps its place and loses its s:.
   */
  @Test
  void aRepositoryTagChangeOnlyRewritesTheRecordsTagInPlace() throws Exception {
    OciLayout img = OciLayout.openOrCreate(work.resolve("pin"));
    FixtureApkImages.alpine("amd64", repo, MAIN, ZLIB_1, CONF_1).installedFrom("zlib", "edge").world("zlib\nconf\n")
        .repositories(repo.url(MAIN) + "\n@edge " + repo.url(EDGE) + "\n").write(img, "3.20");
    OciLayout target = OciLayout.openOrCreate(work.resolve("pin-patched"));
    PatchResult result = patch(img, report("conf", "1.0-r0", "1.0-r1"), target);

    Map<String, LayerEntry> layer = FixtureApkImages.topLayer(target, "patched");
    assertFalse(layer.containsKey("lib/libz.so.1"), "zlib is not unpacked again: " + layer.keySet());
    String zlib = repo.built(MAIN, ZLIB_1).installed(null).text() + "\n";
    String conf = repo.built(MAIN, CONF_2).installed(null).text() + "\n";
    assertEquals(zlib + conf, layer.get("lib/apk/db/installed").text(), "zlib in place, without s:");
    assertFalse(result.scriptsNotRun().stream().anyMatch(s -> s.packageName().equals("zlib")));
  }
}
