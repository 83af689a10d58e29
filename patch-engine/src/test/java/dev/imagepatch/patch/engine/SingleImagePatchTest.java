package dev.imagepatch.patch.engine;
import dev.imagepatch.patch.ScriptNotRun;
import dev.imagepatch.patch.RepositoryOptions;

import static dev.imagepatch.patch.testing.DebBuilder.deb;
import static dev.imagepatch.patch.testing.FixtureReports.finding;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.oci.ImageConfig;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.patch.PatchException;
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

/** One amd64 Debian image patched through {@code Patcher.create()} from a loopback APT repository. */
class SingleImagePatchTest {
  static final DebBuilder HELLO_1 = deb("hello", "1.0-1", "amd64").file("/usr/bin/hello", "hello 1.0-1\n")
      .file("/usr/share/doc/hello/OLD-NEWS", "dropped in 1.0-2\n").conffile("/etc/hello.conf", "greeting=hi\n");
  static final DebBuilder HELLO_2 = deb("hello", "1.0-2", "amd64").file("/usr/bin/hello", "hello 1.0-2\n")
      .file("/usr/share/doc/hello/NEWS", "new in 1.0-2\n").conffile("/etc/hello.conf", "greeting=hi\n");
  static final DebBuilder ZLIB = deb("zlib1g", "1:1.2.13.dfsg-1", "amd64").file("/usr/lib/libz.txt", "z\n");
  // A postinst the engine has no reproduction for: what --strict exists to refuse.
  static final DebBuilder SVC_1 = deb("svc", "2.0-1", "amd64").file("/usr/sbin/svc", "svc 2.0-1\n");
  static final DebBuilder SVC_2 = deb("svc", "2.0-1+deb12u1", "amd64").file("/usr/sbin/svc", "svc 2.0-1+deb12u1\n")
      .script("postinst", "#!/bin/sh\nset -e\nuseradd --system svc || true\n");

  @TempDir
  static Path work;
  @RegisterExtension
  static final FixtureAptRepository repo = FixtureAptRepository.start();
  static OciLayout source;

  @BeforeAll
  static void serveAndBuild() throws Exception {
    repo.publish("bookworm", HELLO_1, HELLO_2, ZLIB, SVC_2);
    source = OciLayout.openOrCreate(work.resolve("source"));
    FixtureImages.debian("amd64", repo, "bookworm", HELLO_1, ZLIB, SVC_1).write(source, "12");
  }

  static PatchRequest.Builder request(Report report, OciLayout target) {
    return PatchRequest.builder(source, "12", report).target(target, "12-patched").cacheDirectory(work.resolve("cache"));
  }

  static Report helloReport() throws Exception {
    return FixtureReports.debian("amd64", finding("CVE-2024-12345", "hello", "1.0-1", "1.0-2"));
  }

  @Test
  void aFixedCveIsOneNewLayerWithTheNewPackage() throws Exception {
    OciLayout target = OciLayout.openOrCreate(work.resolve("patched"));
    PatchResult result = Patcher.create().patch(request(helloReport(), target).build());

    assertEquals(List.of(new PatchResult.Fixed("CVE-2024-12345", "hello", "1.0-2")), result.fixed());
    assertEquals(List.of(), result.stillVulnerable());
    assertEquals(List.of("hello"), result.changes().stream().map(PatchResult.PackageChange::name).toList());
    Manifest base = FixtureImages.manifest(source, "12");
    Manifest patched = FixtureImages.manifest(target, "12-patched");
    assertEquals(result.patched().orElseThrow(), patched.digest());
    assertEquals(base.layers(), patched.layers().subList(0, 1), "the base layer is kept as it was");
    assertEquals(2, patched.layers().size());
    assertEquals(result.layer().orElseThrow(), patched.layers().get(1));
    ImageConfig before = FixtureImages.config(source, base);
    ImageConfig after = FixtureImages.config(target, patched);
    assertEquals(before.diffIds(), after.diffIds().subList(0, 1));
    assertEquals(2, after.diffIds().size());
    assertEquals(before.history().size() + 1, after.history().size());
    assertEquals(withoutLayers(before), withoutLayers(after), "the config is unchanged but for its layers");
    assertEquals(base.annotations(), patched.annotations());
    assertTrue(after.history().get(1).path("created_by").asText().contains("hello 1.0-1 -> 1.0-2"),
        after.history().get(1).toString());

    Map<String, byte[]> layer = FixtureImages.files(target, patched.layers().get(1));
    String status = new String(layer.get("var/lib/dpkg/status"), StandardCharsets.UTF_8);
    assertTrue(status.contains("Package: hello\nStatus: install ok installed\n"), status);
    assertTrue(status.contains("Version: 1.0-2\n") && !status.contains("Version: 1.0-1\n"), status);
    assertTrue(status.contains("Package: zlib1g\n"), "untouched packages stay in the status file");
    assertArrayEquals(HELLO_2.files().get("/usr/bin/hello"), layer.get("usr/bin/hello"));
    assertArrayEquals(HELLO_2.files().get("/usr/share/doc/hello/NEWS"), layer.get("usr/share/doc/hello/NEWS"));
    assertTrue(layer.containsKey("usr/share/doc/hello/.wh.OLD-NEWS"), "a file the new version dropped is whited out");
    assertEquals(String.join("\n", HELLO_2.list()) + "\n",
        new String(layer.get("var/lib/dpkg/info/hello.list"), StandardCharsets.UTF_8));
    assertFalse(layer.keySet().stream().anyMatch(p -> p.startsWith("usr/lib/") || p.startsWith("usr/sbin/")),
        "only the upgraded package's files: " + layer.keySet());
  }

  static ObjectNode withoutLayers(ImageConfig config) {
    ObjectNode c = config.json().deepCopy();
    ((ObjectNode) c.get("rootfs")).remove("diff_ids");
    c.remove("history");
    return c;
  }

  @Test
  void aDistrolessImageGetsStatusDFilesOfTheChangedPackagesOnly() throws Exception {
    OciLayout distroless = OciLayout.openOrCreate(work.resolve("distroless"));
    FixtureImages.debian("amd64", repo, "bookworm", HELLO_1, ZLIB).distroless().write(distroless, "12");
    OciLayout target = OciLayout.openOrCreate(work.resolve("distroless-patched"));
    PatchResult result = Patcher.create().patch(PatchRequest.builder(distroless, "12", helloReport())
        .target(target, "12-patched").cacheDirectory(work.resolve("cache"))
        .repositories(RepositoryOptions.builder().extraRepository(repo.extraSource("bookworm", work.resolve("fixture.gpg"))).build()).build());

    assertEquals(List.of("CVE-2024-12345"), result.fixed().stream().map(PatchResult.Fixed::vulnerability).toList());
    Map<String, byte[]> layer = FixtureImages.topLayer(target, "12-patched");
    assertEquals(List.of("var/lib/dpkg/status.d/hello", "var/lib/dpkg/status.d/hello.md5sums"),
        layer.keySet().stream().filter(p -> p.startsWith("var/lib/dpkg/")).toList(), "no status file, no lists");
    assertEquals(HELLO_2.control().replaceFirst("\n", "\nStatus: install ok installed\n"),
        new String(layer.get("var/lib/dpkg/status.d/hello"), StandardCharsets.UTF_8), "the control file and Status");
    assertEquals(HELLO_2.md5sums(), new String(layer.get("var/lib/dpkg/status.d/hello.md5sums"), StandardCharsets.UTF_8));
    assertArrayEquals(HELLO_2.files().get("/usr/bin/hello"), layer.get("usr/bin/hello"));
  }

  @Test
  void aDryRunWritesNothing() throws Exception {
    OciLayout target = OciLayout.openOrCreate(work.resolve("dry"));
    Map<String, String> before = FixtureImages.snapshot(target);
    PatchResult result = Patcher.create().patch(request(helloReport(), target).dryRun(true).build());

    assertTrue(result.manifest().isEmpty());
    assertTrue(result.layerEntries().containsAll(List.of("usr/bin/hello", "var/lib/dpkg/status")),
        result.layerEntries().toString());
    assertEquals("1.0-2", result.changes().get(0).to());
    assertEquals(before, FixtureImages.snapshot(target));
  }

  @Test
  void strictRefusesAScriptItCannotReproduceAndWritesNothing() throws Exception {
    OciLayout target = OciLayout.openOrCreate(work.resolve("strict"));
    Map<String, String> before = FixtureImages.snapshot(target);
    Report report = FixtureReports.debian("amd64", finding("CVE-2024-23456", "svc", "2.0-1", "2.0-1+deb12u1"));

    PatchException e = assertThrows(PatchException.class,
        () -> Patcher.create().patch(request(report, target).strict(true).build()));
    assertTrue(e.getMessage().contains("--strict") && e.getMessage().contains("script not run: svc (postinst)"),
        e.getMessage());
    assertEquals(before, FixtureImages.snapshot(target));

    // Without strict the same patch goes through and says what it did not run.
    PatchResult lenient = Patcher.create().patch(request(report, target).build());
    assertEquals(List.of(new ScriptNotRun("svc", "postinst")), lenient.scriptsNotRun());
    assertEquals("script not run: svc (postinst)", lenient.scriptsNotRun().get(0).toString());
  }

  @Test
  void withoutAReportEveryPackageWithANewerVersionIsUpgraded() throws Exception {
    PatchResult result = Patcher.create().patch(PatchRequest.builder(source, "12").dryRun(true)
        .cacheDirectory(work.resolve("cache")).build());
    assertEquals(Map.of("hello", "1.0-2", "svc", "2.0-1+deb12u1"), result.changes().stream()
        .collect(java.util.stream.Collectors.toMap(PatchResult.PackageChange::name, PatchResult.PackageChange::to)));
  }
}
