package dev.imagepatch.patch.apk;

import static dev.imagepatch.patch.testing.ApkBuilder.apk;
import static dev.imagepatch.patch.testing.FixtureReports.finding;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.oci.ImageReference;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.patch.OpenVex;
import dev.imagepatch.patch.PatchException;
import dev.imagepatch.patch.PatchRequest;
import dev.imagepatch.patch.PatchResult;
import dev.imagepatch.patch.Patcher;
import dev.imagepatch.patch.RepositoryOptions;
import dev.imagepatch.patch.ScriptNotRun;
import dev.imagepatch.patch.testing.ApkBuilder;
import dev.imagepatch.patch.testing.FixtureApkImages;
import dev.imagepatch.patch.testing.FixtureApkImages.LayerEntry;
import dev.imagepatch.patch.testing.FixtureApkRepository;
import dev.imagepatch.patch.testing.FixtureImages;
import dev.imagepatch.patch.testing.FixtureReports;
import dev.imagepatch.patch.testing.LayerAudit;
import dev.imagepatch.pkg.apk.InstalledDatabase;
import dev.imagepatch.pkg.apk.ScriptsTar;
import dev.imagepatch.pkg.apk.TriggersFile;
import dev.imagepatch.report.Report;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Alpine images patched through {@code Patcher.create()} from a loopback apk repository (signed
 * index, signed packages built in the test), judged by the layer written: files, whiteouts, and
 * {@code lib/apk/db/{installed,scripts.tar,triggers}} as apk-tools 2 leaves them.
 */
class ApkPatchTest {
  static final String MAIN = "alpine/v3.20/main";
  static final String EDGE = "alpine/edge/main";
  static final String X86 = "x86_64";

  static final ApkBuilder MUSL = apk("musl", "1.2.5-r0", X86).file("lib/ld-musl-x86_64.so.1", "musl 1.2.5-r0\n", 0755)
      .provides("so:libc.musl-x86_64.so.1=1");
  static final ApkBuilder HELLO_1 = apk("hello", "1.0-r0", X86).depends("so:libc.musl-x86_64.so.1")
      .file("usr/bin/hello", "hello 1.0-r0\n").symlink("usr/bin/hi", "hello")
      .file("usr/share/doc/hello/OLD-NEWS", "dropped in 1.0-r1\n").file("etc/hello.conf", "greeting=hi\n")
      .script(".trigger", "#!/bin/sh\necho plugins changed\n").triggers("/usr/share/hello/plugins");
  // 1.0-r1 drops OLD-NEWS, changes hello.conf, needs a new library and has a post-upgrade no effect reproduces.
  static final ApkBuilder HELLO_2 = apk("hello", "1.0-r1", X86).depends("so:libc.musl-x86_64.so.1", "libgreet>=1")
      .file("usr/bin/hello", "hello 1.0-r1\n").symlink("usr/bin/hi", "hello")
      .file("usr/share/doc/hello/NEWS", "new in 1.0-r1\n").file("etc/hello.conf", "greeting=hi\nwave=yes\n")
      .script(".post-upgrade", "#!/bin/sh\nadduser -S hello 2>/dev/null\n")
      .script(".trigger", "#!/bin/sh\necho plugins changed again\n").triggers("/usr/share/hello/plugins");
  static final ApkBuilder LIBGREET = apk("libgreet", "1.0-r0", X86).file("usr/lib/libgreet.so.1", "greet 1.0\n", 0755);
  static final ApkBuilder ZLIB_1 = apk("zlib", "1.3.1-r0", X86).file("lib/libz.so.1", "zlib 1.3.1-r0\n", 0755);
  static final ApkBuilder ZLIB_2 = apk("zlib", "1.3.1-r1", X86).file("lib/libz.so.1", "zlib 1.3.1-r1\n", 0755);
  // Only the pinned repository has it: allowed for a world dependency zlib@edge only.
  static final ApkBuilder ZLIB_EDGE = apk("zlib", "1.4.0-r0", X86).file("lib/libz.so.1", "zlib 1.4.0-r0\n", 0755);
  static final ApkBuilder HELLO_EDGE = apk("hello", "2.0-r0", X86).depends("so:libc.musl-x86_64.so.1")
      .file("usr/bin/hello", "hello 2.0-r0 from edge\n");
  // musl-utils 1.2.5-r1 takes over libc-utils (provides it), which apk then purges: as 3.19 -> 3.20 did.
  static final ApkBuilder LIBC_UTILS = apk("libc-utils", "0.7.2-r5", X86).depends("musl-utils")
      .file("usr/share/doc/libc-utils/README", "libc-utils\n");
  static final ApkBuilder MUSL_UTILS_1 = apk("musl-utils", "1.2.5-r0", X86).file("usr/bin/ldd", "ldd r0\n");
  static final ApkBuilder MUSL_UTILS_2 = apk("musl-utils", "1.2.5-r1", X86).file("usr/bin/ldd", "ldd r1\n")
      .provides("libc-utils=0.7.2-r6");

  static final String CVE = "CVE-2024-12345";

  @TempDir
  static Path work;
  @RegisterExtension
  static final FixtureApkRepository repo = FixtureApkRepository.start();
  static OciLayout source;
  static FixtureApkImages.Spec image;

  @BeforeAll
  static void serveAndBuild() throws Exception {
    repo.publish(MAIN, MUSL, HELLO_1, HELLO_2, LIBGREET, ZLIB_1, ZLIB_2, MUSL_UTILS_1, MUSL_UTILS_2);
    repo.publish(EDGE, HELLO_EDGE, ZLIB_EDGE);
    source = OciLayout.openOrCreate(work.resolve("source"));
    image = FixtureApkImages.alpine("amd64", repo, MAIN, MUSL, HELLO_1, ZLIB_1)
        .repositories(repo.url(MAIN) + "\n@edge " + repo.url(EDGE) + "\n");
    image.write(source, "3.20");
  }

  static Report report(FixtureReports.Finding... findings) throws Exception {
    return FixtureReports.trivy("alpine", "3.20.3", "amd64", findings);
  }

  static Report helloReport() throws Exception {
    return report(finding(CVE, "hello", "1.0-r0", "1.0-r1"));
  }

  static PatchRequest.Builder request(OciLayout src, String ref, Report report, OciLayout target) {
    return PatchRequest.builder(src, ref, report).target(target, "patched").cacheDirectory(work.resolve("cache"));
  }

  static OciLayout layout(String name) throws Exception {
    return OciLayout.openOrCreate(work.resolve(name));
  }

  static String text(Map<String, LayerEntry> layer, String path) {
    LayerEntry e = layer.get(path);
    assertTrue(e != null, path + " in the layer: " + layer.keySet());
    return e.text();
  }

  static String installed(ApkBuilder p) {
    return repo.built(MAIN, p).installed(null).text() + "\n";
  }

  static String installed(String repoPath, ApkBuilder p, String tag) {
    return repo.built(repoPath, p).installed(tag).text() + "\n";
  }

  @Test
  void aReportedFixIsTheNewVersionsFilesWhiteoutsAndTheDatabaseAsApkWritesIt() throws Exception {
    OciLayout target = layout("patched");
    PatchResult result = Patcher.create().patch(request(source, "3.20", helloReport(), target).build());

    assertEquals(List.of(new PatchResult.Fixed(CVE, "hello", "1.0-r1")), result.fixed());
    assertEquals(List.of("libgreet 1.0-r0 (new)", "hello 1.0-r0 -> 1.0-r1"), result.changes().stream()
        .map(c -> c.name() + " " + (c.from() == null ? c.to() + " (new)" : c.from() + " -> " + c.to())).toList(),
        "the new dependency first, in apk's commit order");
    assertEquals("x86_64", result.changes().get(1).architecture());
    Manifest base = FixtureImages.manifest(source, "3.20");
    Manifest patched = FixtureImages.manifest(target, "patched");
    assertEquals(base.layers(), patched.layers().subList(0, 1));
    assertEquals(2, patched.layers().size());
    assertEquals(List.of(), LayerAudit.topLayer(target, "patched"));

    Map<String, LayerEntry> layer = FixtureApkImages.topLayer(target, "patched");
    assertEquals("hello 1.0-r1\n", text(layer, "usr/bin/hello"));
    assertEquals(0755, layer.get("usr/bin/hello").mode());
    assertEquals('2', layer.get("usr/bin/hi").type());
    assertEquals("hello", layer.get("usr/bin/hi").link());
    assertEquals("new in 1.0-r1\n", text(layer, "usr/share/doc/hello/NEWS"));
    assertTrue(layer.containsKey("usr/share/doc/hello/.wh.OLD-NEWS"), "a file 1.0-r1 dropped is whited out");
    assertEquals("greeting=hi\nwave=yes\n", text(layer, "etc/hello.conf"),
        "a protected file the image left as shipped is overwritten");
    assertFalse(layer.containsKey("etc/hello.conf.apk-new"));
    assertEquals("greet 1.0\n", text(layer, "usr/lib/libgreet.so.1"), "the new dependency is installed");
    assertFalse(layer.keySet().stream().anyMatch(p -> p.startsWith("etc/apk/")),
        "world (and the rest of /etc/apk) unchanged: a dependency pulled in is not added to world: " + layer.keySet());
    assertFalse(layer.keySet().stream().anyMatch(p -> p.startsWith("lib/ld-musl") || p.startsWith("lib/libz")),
        "only the changed packages' files: " + layer.keySet());

    // installed: the unchanged records in place, then the new ones appended in commit order.
    String expected = installed(MUSL) + installed(ZLIB_1) + installed(LIBGREET) + installed(HELLO_2);
    assertEquals(expected, text(layer, "lib/apk/db/installed"));
    InstalledDatabase db = InstalledDatabase.parse(text(layer, "lib/apk/db/installed"), "patched installed");
    String helloSum = db.find("hello").orElseThrow().header().checksum();
    assertEquals(repo.built(MAIN, HELLO_2).checksum(), helloSum, "C: is the new package's control checksum");

    ScriptsTar scripts = ScriptsTar.read(layer.get("lib/apk/db/scripts.tar").content(), "scripts.tar");
    assertEquals(List.of("hello-1.0-r1." + helloSum + ".post-upgrade", "hello-1.0-r1." + helloSum + ".trigger"),
        scripts.scripts().stream().map(ScriptsTar.Script::entryName).toList(), "the old version's scripts are gone");
    assertEquals(List.of(new TriggersFile.Entry(helloSum, List.of("/usr/share/hello/plugins"))),
        TriggersFile.parse(text(layer, "lib/apk/db/triggers"), "triggers").entries());

    assertTrue(result.scriptsNotRun().contains(new ScriptNotRun("hello", "post-upgrade")), result.scriptsNotRun()
        .toString());
  }

  @Test
  void aProtectedFileTheImageChangedIsKeptAndTheNewOneWrittenAsApkNew() throws Exception {
    OciLayout changed = layout("changed-conf");
    FixtureApkImages.alpine("amd64", repo, MAIN, MUSL, HELLO_1, ZLIB_1).file("etc/hello.conf", "greeting=hello\n")
        .write(changed, "3.20");
    OciLayout target = layout("changed-conf-patched");
    PatchResult result = Patcher.create().patch(request(changed, "3.20", helloReport(), target).build());

    Map<String, LayerEntry> layer = FixtureApkImages.topLayer(target, "patched");
    assertFalse(layer.containsKey("etc/hello.conf"), "the image's own version stays");
    assertEquals("greeting=hi\nwave=yes\n", text(layer, "etc/hello.conf.apk-new"));
    assertTrue(result.notes().stream().anyMatch(n -> n.contains("/etc/hello.conf") && n.contains(".apk-new")),
        result.notes().toString());
  }

  @Test
  void strictRefusesAPostUpgradeItCannotReproduceAndWritesNothing() throws Exception {
    OciLayout target = layout("strict");
    Map<String, String> before = FixtureImages.snapshot(target);
    PatchException e = assertThrows(PatchException.class,
        () -> Patcher.create().patch(request(source, "3.20", helloReport(), target).strict(true).build()));
    assertTrue(e.getMessage().contains("--strict") && e.getMessage().contains("hello (post-upgrade)"), e.getMessage());
    assertEquals(before, FixtureImages.snapshot(target));
  }

  @Test
  void withoutAReportEveryPackageWithANewerVersionInAnAllowedRepositoryIsUpgraded() throws Exception {
    OciLayout target = layout("all");
    PatchResult result = Patcher.create().patch(PatchRequest.builder(source, "3.20").target(target, "patched")
        .cacheDirectory(work.resolve("cache")).build());

    Map<String, String> to = result.changes().stream()
        .collect(Collectors.toMap(PatchResult.PackageChange::name, PatchResult.PackageChange::to));
    assertEquals(Map.of("hello", "1.0-r1", "libgreet", "1.0-r0", "zlib", "1.3.1-r1"), to,
        "the @edge versions are not taken: nothing in world is pinned to edge");
    Map<String, LayerEntry> layer = FixtureApkImages.topLayer(target, "patched");
    assertEquals("zlib 1.3.1-r1\n", text(layer, "lib/libz.so.1"));
    assertEquals("hello 1.0-r1\n", text(layer, "usr/bin/hello"));
  }

  @Test
  void aPinnedWorldDependencyUpgradesFromItsTaggedRepositoryAndRecordsTheTag() throws Exception {
    OciLayout pinned = layout("pinned");
    FixtureApkImages.alpine("amd64", repo, MAIN, MUSL, HELLO_1, ZLIB_1).installedFrom("zlib", "edge")
        .repositories(repo.url(MAIN) + "\n@edge " + repo.url(EDGE) + "\n").write(pinned, "3.20");
    OciLayout target = layout("pinned-patched");
    Report report = report(finding(CVE, "hello", "1.0-r0", "1.0-r1"),
        finding("CVE-2023-45853", "zlib", "1.3.1-r0", "1.3.1-r1"));
    PatchResult result = Patcher.create().patch(request(pinned, "3.20", report, target).build());

    Map<String, String> to = result.changes().stream()
        .collect(Collectors.toMap(PatchResult.PackageChange::name, PatchResult.PackageChange::to));
    assertEquals("1.0-r1", to.get("hello"), "hello is not pinned: edge's 2.0-r0 is not allowed");
    assertEquals("1.4.0-r0", to.get("zlib"), "zlib@edge: the pinned repository's highest version");
    Map<String, LayerEntry> layer = FixtureApkImages.topLayer(target, "patched");
    String db = text(layer, "lib/apk/db/installed");
    assertTrue(db.contains(installed(EDGE, ZLIB_EDGE, "edge")), "zlib's record with s:edge:\n" + db);
    assertTrue(db.contains("\ns:edge\n"), db);
    assertEquals("zlib 1.4.0-r0\n", text(layer, "lib/libz.so.1"));
  }

  @Test
  void aPackageAnotherNowProvidesIsPurgedWhitedOutAndGoneFromInstalled() throws Exception {
    OciLayout img = layout("provided");
    FixtureApkImages.alpine("amd64", repo, MAIN, MUSL, MUSL_UTILS_1, LIBC_UTILS).write(img, "3.20");
    OciLayout target = layout("provided-patched");
    PatchResult result = Patcher.create().patch(request(img, "3.20",
        report(finding(CVE, "musl-utils", "1.2.5-r0", "1.2.5-r1")), target).build());

    assertTrue(result.changes().stream().anyMatch(c -> c.name().equals("libc-utils") && c.to() == null),
        result.changes().toString());
    Map<String, LayerEntry> layer = FixtureApkImages.topLayer(target, "patched");
    assertTrue(layer.containsKey("usr/share/doc/libc-utils/.wh.README"), layer.keySet().toString());
    assertEquals("ldd r1\n", text(layer, "usr/bin/ldd"));
    assertEquals(installed(MUSL) + installed(MUSL_UTILS_2), text(layer, "lib/apk/db/installed"));
  }

  @Test
  void aDistrolessImageIsPatchedWithTheRepositoryAndKeyTheRequestGives() throws Exception {
    OciLayout img = layout("distroless");
    FixtureApkImages.alpine("amd64", repo, MAIN, MUSL, ZLIB_1).distroless().write(img, "3.20");
    OciLayout target = layout("distroless-patched");
    RepositoryOptions options = RepositoryOptions.builder().extraRepository(repo.url(MAIN))
        .key(repo.writeKey(work.resolve("keys"))).build();
    PatchResult result = Patcher.create().patch(request(img, "3.20",
        report(finding("CVE-2023-45853", "zlib", "1.3.1-r0", "1.3.1-r1")), target).repositories(options).build());

    assertEquals(List.of("CVE-2023-45853"), result.fixed().stream().map(PatchResult.Fixed::vulnerability).toList());
    Map<String, LayerEntry> layer = FixtureApkImages.topLayer(target, "patched");
    assertEquals("zlib 1.3.1-r1\n", text(layer, "lib/libz.so.1"));
    assertEquals(installed(MUSL) + installed(ZLIB_2), text(layer, "lib/apk/db/installed"));
    assertFalse(layer.keySet().stream().anyMatch(p -> p.startsWith("etc/")), "no /etc/apk appears: " + layer.keySet());
  }

  @Test
  void aRepatchReplacesTheEarlierPatchLayerAndNothingNewIsAlreadyUpToDate() throws Exception {
    OciLayout first = layout("first");
    Patcher.create().patch(request(source, "3.20", helloReport(), first).build());
    OciLayout second = layout("second");
    PatchResult again = Patcher.create().patch(request(first, "patched",
        report(finding("CVE-2023-45853", "zlib", "1.3.1-r0", "1.3.1-r1")), second).build());

    Manifest twice = FixtureImages.manifest(second, "patched");
    assertEquals(2, twice.layers().size(), "still one patch layer");
    assertEquals(FixtureImages.manifest(source, "3.20").layers().get(0), twice.layers().get(0));
    // The replacing layer is resolved again from the base: the first patch's upgrades are in it too.
    assertEquals(List.of("libgreet", "hello", "zlib"), again.changes().stream().map(PatchResult.PackageChange::name)
        .toList());
    assertEquals(List.of("CVE-2023-45853"), again.fixed().stream().map(PatchResult.Fixed::vulnerability).toList());
    Map<String, LayerEntry> layer = FixtureApkImages.topLayer(second, "patched");
    assertEquals("hello 1.0-r1\n", text(layer, "usr/bin/hello"), "the first patch's files are carried over");
    assertEquals("zlib 1.3.1-r1\n", text(layer, "lib/libz.so.1"));
    assertEquals(installed(MUSL) + installed(LIBGREET) + installed(HELLO_2) + installed(ZLIB_2),
        text(layer, "lib/apk/db/installed"));

    Map<String, String> before = FixtureImages.snapshot(first);
    PatchResult upToDate = Patcher.create().patch(request(first, "patched", helloReport(), first).build());
    assertTrue(upToDate.upToDate(), upToDate.changes().toString());
    assertTrue(upToDate.manifest().isEmpty());
    assertEquals(List.of(CVE), upToDate.fixed().stream().map(PatchResult.Fixed::vulnerability).toList());
    assertEquals(before, FixtureImages.snapshot(first), "nothing written");
  }

  @Test
  void theOpenVexDocumentNamesApkPackageUrls() throws Exception {
    OciLayout target = layout("vex");
    PatchResult result = Patcher.create().patch(request(source, "3.20", helloReport(), target).build());
    ObjectNode doc = OpenVex.of(result, ImageReference.parse("registry.example/team/app:3.20-patched"), "alpine-3.20",
        "imagepatch", Instant.parse("2026-01-01T00:00:00Z"));
    JsonNode statement = doc.get("statements").get(0);
    assertEquals(CVE, statement.at("/vulnerability/name").asText());
    assertEquals("pkg:apk/alpine/hello@1.0-r1?arch=x86_64",
        statement.at("/products/0/subcomponents/0/@id").asText());
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static void assertBytes(String expected, byte[] actual) {
    assertArrayEquals(utf8(expected), actual);
  }
}
