package dev.imagepatch.patch.rpm;

import static dev.imagepatch.patch.rpm.ArchRepositories.pkg;
import static dev.imagepatch.patch.rpm.ArchRepositories.rpmArch;
import static dev.imagepatch.patch.testing.FixtureReports.finding;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.ImageReference;
import dev.imagepatch.oci.Index;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.patch.OpenVex;
import dev.imagepatch.patch.PatchRequest;
import dev.imagepatch.patch.PatchResult;
import dev.imagepatch.patch.PatchResult.PackageChange;
import dev.imagepatch.patch.Patcher;
import dev.imagepatch.patch.testing.FixtureImages;
import dev.imagepatch.patch.testing.FixtureReports;
import dev.imagepatch.patch.testing.FixtureRpmImages;
import dev.imagepatch.patch.testing.FixtureRpmRepository;
import dev.imagepatch.patch.testing.RpmJudges;
import dev.imagepatch.report.Report;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * An index of x86_64 and aarch64 Rocky Linux 9 images, one {@code .repo} line with
 * {@code $basearch} for both, packages and repomd.xml signed: each child is patched from its own
 * architecture's packages (each package's file says which it is), noarch ones shared, and its
 * database (read back by the real {@code rpm -qa}) lists its own architecture's upgrade.
 */
class RpmMultiArchPatchTest {
  static final String CVE = "CVE-2024-45490";
  static final List<String> ARCHES = List.of("amd64", "arm64");

  @TempDir
  static Path work;
  @RegisterExtension
  static final FixtureRpmRepository repo = FixtureRpmRepository.start();
  static OciLayout source;
  static Index index;

  @BeforeAll
  static void build() throws Exception {
    FixtureRpmRepository.requireTools();
    ArchRepositories.publish(repo, "baseos", pkg("expat", "2.5.0-2.el9", "x86_64"), pkg("expat", "2.5.0-2.el9", "aarch64"),
        pkg("tzdata", "2024a-1.el9", "noarch"));
    source = OciLayout.openOrCreate(work.resolve("source"));
    List<Descriptor> children = new ArrayList<>();
    for (String arch : ARCHES) {
      children.add(FixtureRpmImages.rocky(repo, null, pkg("expat", "2.5.0-1.el9", rpmArch(arch)),
          pkg("tzdata", "2023c-1.el9", "noarch")).platform(arch).repoFile(ArchRepositories.repoFile(repo, "baseos"))
          .write(source, null));
    }
    index = FixtureImages.index(source, "9", children);
  }

  static Report report(String arch) throws Exception {
    return FixtureReports.trivy("rocky", "9.3", arch, finding(CVE, "expat", "2.5.0-1.el9", "2.5.0-2.el9"));
  }

  @Test
  void eachChildIsPatchedWithItsOwnArchitecturesPackage() throws Exception {
    OciLayout target = OciLayout.openOrCreate(work.resolve("target"));
    PatchResult result = Patcher.create().patch(PatchRequest.builder(source, "9").target(target, "9-patched")
        .report(report("amd64")).report(report("arm64")).cacheDirectory(work.resolve("cache")).build());

    Index patched = (Index) target.fetchManifest("9-patched");
    assertEquals(index.mediaType(), patched.mediaType());
    for (int i = 0; i < ARCHES.size(); i++) {
      String rpmArch = rpmArch(ARCHES.get(i));
      Descriptor was = index.manifests().get(i);
      Descriptor now = patched.manifests().get(i);
      assertNotEquals(was.digest(), now.digest(), ARCHES.get(i) + " patched");
      assertEquals(was.platform(), now.platform(), "in its place");
      Map<String, byte[]> layer = FixtureImages.topLayer(target, now.digest().toString());
      assertEquals("expat 2.5.0-2.el9 " + rpmArch + "\n",
          new String(layer.get("usr/share/expat/expat.txt"), StandardCharsets.UTF_8));
      assertEquals(List.of("expat-2.5.0-2.el9." + rpmArch, "tzdata-2023c-1.el9.noarch"), RpmJudges.rpmQueryAll(layer));
      // rpm left -wal/-shm beside the base's database: never shipped, and the base's whited out.
      assertTrue(layer.keySet().stream().noneMatch(p -> p.startsWith("var/lib/rpm/rpmdb.sqlite-")), layer.keySet().toString());
      assertTrue(layer.keySet().containsAll(List.of("var/lib/rpm/.wh.rpmdb.sqlite-wal", "var/lib/rpm/.wh.rpmdb.sqlite-shm")),
          layer.keySet().toString());
      PatchResult platform = result.platforms().get(i);
      assertEquals(List.of(new PackageChange("expat", rpmArch, "2.5.0-1.el9", "2.5.0-2.el9", "requested")),
          platform.changes());
      assertEquals(List.of(CVE), platform.fixed().stream().map(PatchResult.Fixed::vulnerability).toList());
    }

    // The VEX document of the index names the package of each architecture.
    ObjectNode vex = OpenVex.of(result, ImageReference.parse("registry.example/rocky:9-patched"), "rocky-9",
        "imagepatch", Instant.parse("2026-11-30T10:00:00Z"));
    JsonNode statement = vex.get("statements").get(0);
    assertEquals(CVE, statement.at("/vulnerability/name").asText());
    assertEquals(List.of("pkg:rpm/rocky/expat@2.5.0-2.el9?arch=x86_64", "pkg:rpm/rocky/expat@2.5.0-2.el9?arch=aarch64"),
        StreamSupport.stream(statement.at("/products/0/subcomponents").spliterator(), false)
            .map(s -> s.get("@id").asText()).toList());
  }

  /** Update-all, each child judged by the real dnf upgrade of its own architecture ({@code --forcearch}). */
  @Test
  void withoutAReportEachChildUpdatesAsDnfDoesForItsArchitecture() throws Exception {
    OciLayout target = OciLayout.openOrCreate(work.resolve("update-all"));
    PatchResult result = Patcher.create().patch(PatchRequest.builder(source, "9").target(target, "9-all")
        .cacheDirectory(work.resolve("cache")).build());

    assertEquals(ARCHES, result.platforms().stream().map(p -> p.platform().orElseThrow()).toList());
    Index patched = (Index) target.fetchManifest("9-all");
    for (int i = 0; i < ARCHES.size(); i++) {
      String rpmArch = rpmArch(ARCHES.get(i));
      PatchResult p = result.platforms().get(i);
      assertEquals(List.of(new PackageChange("expat", rpmArch, "2.5.0-1.el9", "2.5.0-2.el9", "requested"),
          new PackageChange("tzdata", "noarch", "2023c-1.el9", "2024a-1.el9", "requested")),
          p.changes().stream().sorted(java.util.Comparator.comparing(PackageChange::name)).toList());
      Map<String, byte[]> base = FixtureImages.topLayer(source, index.manifests().get(i).digest().toString());
      assertEquals(RpmJudges.dnfUpgradeFor(rpmArch, base, "9"), RpmJudges.rpmQueryAll(FixtureImages.topLayer(target,
          patched.manifests().get(i).digest().toString())), ARCHES.get(i));
    }
  }

  /**
   * The arm64 report asks for a fix no repository has: that platform fails naming itself, the
   * package, the candidates seen and the vulnerability, and nothing is written; with
   * ignore-errors it passes through unpatched while amd64 is patched.
   */
  @Test
  void aFixNoRepositoryHasFailsItsPlatformUnlessErrorsAreIgnored() throws Exception {
    Report unfixable = FixtureReports.trivy("rocky", "9.3", "arm64", finding("CVE-2024-50602", "expat", "2.5.0-1.el9",
        "2.5.0-3.el9"));
    OciLayout target = OciLayout.openOrCreate(work.resolve("failing"));
    dev.imagepatch.patch.PatchException e = org.junit.jupiter.api.Assertions.assertThrows(
        dev.imagepatch.patch.PatchException.class, () -> Patcher.create().patch(PatchRequest.builder(source, "9")
            .target(target, "9-patched").report(report("amd64")).report(unfixable).cacheDirectory(work.resolve("cache"))
            .build()));
    for (String part : List.of("linux/arm64", "expat", "2.5.0-3.el9", "2.5.0-2.el9", "CVE-2024-50602")) {
      assertTrue(e.getMessage().contains(part), part + " in: " + e.getMessage());
    }
    assertEquals(List.of(), target.index().manifests(), "no tag written");

    PatchResult ignored = Patcher.create().patch(PatchRequest.builder(source, "9").target(target, "9-patched")
        .report(report("amd64")).report(unfixable).ignoreErrors(true).cacheDirectory(work.resolve("cache")).build());
    List<Descriptor> after = ((Index) target.fetchManifest("9-patched")).manifests();
    assertNotEquals(index.manifests().get(0).digest(), after.get(0).digest(), "amd64 patched");
    assertEquals(index.manifests().get(1), after.get(1), "the failed arm64 passes through");
    assertTrue(ignored.passedThrough().stream().anyMatch(p -> p.contains("linux/arm64")
        && p.endsWith("(failed, left unpatched)")), ignored.passedThrough().toString());
  }
}
