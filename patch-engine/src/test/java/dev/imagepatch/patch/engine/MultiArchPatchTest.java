package dev.imagepatch.patch.engine;

import static dev.imagepatch.patch.testing.DebBuilder.hello;
import static dev.imagepatch.patch.testing.FixtureReports.finding;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Index;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.MediaTypes;
import dev.imagepatch.oci.Platform;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.patch.PatchException;
import dev.imagepatch.patch.PatchRequest;
import dev.imagepatch.patch.PatchResult;
import dev.imagepatch.patch.Patcher;
import dev.imagepatch.patch.testing.FixtureAptRepository;
import dev.imagepatch.patch.testing.FixtureImages;
import dev.imagepatch.patch.testing.FixtureReports;
import dev.imagepatch.report.Report;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * An index of amd64 and arm64 Debian images, a build attestation of the amd64 one and a Windows
 * image, patched in one call: the multi-arch rules of {@code imagepatch patch} at engine level.
 */
class MultiArchPatchTest {
  static final String CVE = "CVE-2024-34567";

  @TempDir
  static Path work;
  @RegisterExtension
  static final FixtureAptRepository repo = FixtureAptRepository.start();
  static OciLayout source;
  /** amd64, arm64/v8, the amd64 attestation, Windows: in this order. */
  static Index index;
  static Report amd64Report;
  static Report arm64Report;

  @BeforeAll
  static void serveAndBuild() throws Exception {
    repo.publish("bookworm", hello("1.0-2", "amd64"), hello("1.0-2", "arm64"));
    source = OciLayout.openOrCreate(work.resolve("source"));
    List<Descriptor> entries = new ArrayList<>();
    for (String arch : List.of("amd64", "arm64")) {
      entries.add(FixtureImages.debian(arch, repo, "bookworm", hello("1.0-1", arch)).write(source, null)
          .withAnnotation("org.example.arch", arch));
    }
    entries.add(FixtureImages.attestation(source, entries.get(0).digest()));
    entries.add(FixtureImages.windows(source));
    index = FixtureImages.index(source, "12", entries);
    amd64Report = FixtureReports.debian("amd64", finding(CVE, "hello", "1.0-1", "1.0-2"));
    arm64Report = FixtureReports.debian("arm64", finding(CVE, "hello", "1.0-1", "1.0-2"));
  }

  static PatchRequest.Builder request(OciLayout target, Report... reports) {
    PatchRequest.Builder b = PatchRequest.builder(source, "12").target(target, "12-patched")
        .cacheDirectory(work.resolve("cache"));
    for (Report r : reports) {
      b.report(r);
    }
    return b;
  }

  static OciLayout target(String name) throws Exception {
    return OciLayout.openOrCreate(work.resolve(name));
  }

  @Test
  void everyLinuxPlatformIsPatchedWithItsOwnArchitecturesPackages() throws Exception {
    OciLayout target = target("all");
    PatchResult result = Patcher.create().patch(request(target, amd64Report, arm64Report).perPlatformTags(true).build());

    Index patched = (Index) target.fetchManifest("12-patched");
    assertEquals(result.patched().orElseThrow(), patched.digest());
    assertEquals(MediaTypes.OCI_INDEX, patched.mediaType());
    assertEquals(index.annotations(), patched.annotations());
    List<Descriptor> before = index.manifests();
    List<Descriptor> after = patched.manifests();
    assertEquals(3, after.size(), "the amd64 attestation is dropped with the image it described: " + after);
    for (int i = 0; i < 2; i++) {
      String arch = i == 0 ? "amd64" : "arm64";
      assertNotEquals(before.get(i).digest(), after.get(i).digest(), arch + " patched");
      assertEquals(before.get(i).platform(), after.get(i).platform(), "platform and variant kept");
      assertEquals(arch, after.get(i).annotations().get("org.example.arch"), "descriptor annotations kept");
      // Each architecture's hello says which it is, so a child patched from the wrong index shows.
      Map<String, byte[]> layer = FixtureImages.topLayer(target, after.get(i).digest().toString());
      assertEquals("hello 1.0-2 for " + arch + "\n", new String(layer.get("usr/bin/hello"), StandardCharsets.UTF_8));
      String status = new String(layer.get("var/lib/dpkg/status"), StandardCharsets.UTF_8);
      assertTrue(status.contains("\nVersion: 1.0-2\n") && status.contains("\nArchitecture: " + arch + "\n"), status);
      assertEquals(after.get(i).digest(), target.resolve("12-patched-" + arch).digest(), "per-platform tag");
    }
    assertEquals(before.get(3), after.get(2), "the Windows entry passes through untouched");
    for (Descriptor child : after) {
      Manifest m = FixtureImages.manifest(target, child.digest().toString());
      assertTrue(target.hasBlob(m.config()), "every child the index names is whole in the target: " + child);
      for (Descriptor layer : m.layers()) {
        assertTrue(target.hasBlob(layer), child + " layer " + layer);
      }
    }
    assertEquals(List.of("amd64", "arm64"), result.platforms().stream().map(p -> p.platform().orElseThrow()).toList());
    result.platforms().forEach(p -> assertEquals(List.of(CVE), p.fixed().stream()
        .map(PatchResult.Fixed::vulnerability).toList(), p.platform().get()));
    assertPassedThrough(result, before.get(3), "not Linux");
    assertPassedThrough(result, before.get(2), "dropped");
  }

  @Test
  void unselectedPlatformsAndTheirAttestationsPassThrough() throws Exception {
    OciLayout target = target("arm-only");
    PatchResult result = Patcher.create().patch(request(target, amd64Report, arm64Report)
        .platform(Platform.parse("linux/arm64")).build());

    List<Descriptor> after = ((Index) target.fetchManifest("12-patched")).manifests();
    List<Descriptor> before = index.manifests();
    assertEquals(4, after.size());
    assertEquals(before.get(0), after.get(0), "amd64 untouched");
    assertNotEquals(before.get(1).digest(), after.get(1).digest(), "arm64 patched");
    assertEquals(before.get(2), after.get(2), "the attestation of the untouched amd64 image is kept");
    assertEquals(before.get(3), after.get(3));
    assertPassedThrough(result, before.get(0), "not selected");
    assertTrue(target.hasBlob(before.get(0)), "what passes through is in the target layout too");
  }

  @Test
  void aPlatformNoReportNamesPassesThrough() throws Exception {
    OciLayout target = target("amd64-report");
    PatchResult result = Patcher.create().patch(request(target, amd64Report).build());

    List<Descriptor> after = ((Index) target.fetchManifest("12-patched")).manifests();
    assertNotEquals(index.manifests().get(0).digest(), after.get(0).digest());
    assertEquals(index.manifests().get(1), after.get(1), "arm64 untouched");
    assertPassedThrough(result, index.manifests().get(1), "no report names it");
  }

  @Test
  void oneFailingPlatformFailsThePatchUnlessErrorsAreIgnored() throws Exception {
    OciLayout target = target("failing");
    Report impossible = FixtureReports.debian("arm64", finding(CVE, "hello", "1.0-1", "9.9-1"));

    PatchException e = assertThrows(PatchException.class,
        () -> Patcher.create().patch(request(target, amd64Report, impossible).build()));
    assertTrue(e.getMessage().contains("linux/arm64") && e.getMessage().contains("9.9-1"), e.getMessage());
    assertEquals(List.of(), target.index().manifests(), "no tag written");

    PatchResult ignored = Patcher.create().patch(request(target, amd64Report, impossible).ignoreErrors(true).build());
    List<Descriptor> after = ((Index) target.fetchManifest("12-patched")).manifests();
    assertNotEquals(index.manifests().get(0).digest(), after.get(0).digest(), "amd64 patched");
    assertEquals(index.manifests().get(1), after.get(1), "the failed arm64 passes through");
    assertTrue(ignored.passedThrough().stream().anyMatch(p -> p.contains("linux/arm64")
        && p.endsWith("(failed, left unpatched)")), ignored.passedThrough().toString());
  }

  static void assertPassedThrough(PatchResult result, Descriptor entry, String why) {
    assertTrue(result.passedThrough().stream().anyMatch(p -> p.startsWith(entry.digest().toString()) && p.contains(why)),
        entry.digest() + " " + why + " in " + result.passedThrough());
  }
}
