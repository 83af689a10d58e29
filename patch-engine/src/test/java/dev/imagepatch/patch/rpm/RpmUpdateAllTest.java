package dev.imagepatch.patch.rpm;

import static dev.imagepatch.patch.rpm.ArchRepositories.pkg;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.patch.PatchRequest;
import dev.imagepatch.patch.PatchResult;
import dev.imagepatch.patch.PatchResult.PackageChange;
import dev.imagepatch.patch.Patcher;
import dev.imagepatch.patch.testing.FixtureImages;
import dev.imagepatch.patch.testing.FixtureRpmImages;
import dev.imagepatch.patch.testing.FixtureRpmRepository;
import dev.imagepatch.patch.testing.RpmJudges;
import dev.imagepatch.patch.testing.RpmSpec;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Update-all (no report) on an rpm image, judged by the real {@code dnf --installroot upgrade}
 * over the same image and repositories: the database of our patch layer lists what dnf's leaves.
 * The cases: a plain upgrade, an epoch that outranks a lower version, a noarch package, a
 * repository whose {@code priority=} wins over a higher version elsewhere, a package already at its
 * newest, one whose repositories hold only older builds, and one no repository has.
 */
class RpmUpdateAllTest {
  static final List<RpmSpec> INSTALLED = List.of(
      pkg("bash", "5.1.8-6.el9", "x86_64"),
      pkg("perl-IO", "1.43-480.el9", "x86_64"),
      pkg("tzdata", "2023c-1.el9", "noarch"),
      pkg("libgcrypt", "1.10.0-10.el9", "x86_64"),
      pkg("glibc", "2.34-100.el9", "x86_64"),
      pkg("shadow-utils", "2:4.9-8.el9", "x86_64"),
      pkg("local-tool", "1.0-1", "x86_64"));

  @TempDir
  static Path work;
  @RegisterExtension
  static final FixtureRpmRepository repo = FixtureRpmRepository.start();
  static OciLayout source;
  /** The image's one layer, as dnf is given it. */
  static Map<String, byte[]> files;

  @BeforeAll
  static void build() throws Exception {
    FixtureRpmRepository.requireTools();
    ArchRepositories.publish(repo, "baseos",
        pkg("bash", "5.1.8-9.el9", "x86_64"),
        // Epoch 1 outranks the installed 1.43-480 (epoch 0) though its version-release is lower.
        pkg("perl-IO", "1:1.43-470.el9", "x86_64"),
        pkg("tzdata", "2024a-1.el9", "noarch"),
        pkg("libgcrypt", "1.10.0-10.el9", "x86_64"),
        pkg("glibc", "2.34-83.el9", "x86_64"),
        pkg("shadow-utils", "2:4.9-9.el9", "x86_64"));
    // The prioritized repository's bash (-7) is taken over baseos's higher -9, as dnf does.
    ArchRepositories.publish(repo, "appstream", pkg("bash", "5.1.8-7.el9", "x86_64"));
    source = OciLayout.openOrCreate(work.resolve("source"));
    FixtureRpmImages.rocky(repo, null, INSTALLED.toArray(RpmSpec[]::new)).repoFile(ArchRepositories.repoFile(repo,
        ArchRepositories.KEY_IN_IMAGE, Map.of("appstream", 10), "baseos", "appstream")).write(source, "9");
    files = FixtureImages.topLayer(source, "9");
  }

  @Test
  void everyPackageIsUpgradedAsDnfUpgradeDoes() throws Exception {
    List<String> dnf = RpmJudges.dnfUpgrade(files, "9");
    assertEquals(List.of("bash-5.1.8-7.el9.x86_64", "glibc-2.34-100.el9.x86_64", "libgcrypt-1.10.0-10.el9.x86_64",
        "local-tool-1.0-1.x86_64", "perl-IO-1:1.43-470.el9.x86_64", "shadow-utils-2:4.9-9.el9.x86_64",
        "tzdata-2024a-1.el9.noarch"), dnf, "what dnf itself leaves, spelled out");

    OciLayout target = OciLayout.openOrCreate(work.resolve("target"));
    PatchResult result = Patcher.create().patch(PatchRequest.builder(source, "9").target(target, "9-patched")
        .cacheDirectory(work.resolve("cache")).build());

    Map<String, byte[]> layer = FixtureImages.topLayer(target, "9-patched");
    assertEquals(dnf, RpmJudges.rpmQueryAll(layer), "our patch layer's database lists what dnf's upgrade leaves");
    assertEquals(List.of(new PackageChange("bash", "x86_64", "5.1.8-6.el9", "5.1.8-7.el9", "requested"),
        new PackageChange("perl-IO", "x86_64", "1.43-480.el9", "1:1.43-470.el9", "requested"),
        new PackageChange("shadow-utils", "x86_64", "2:4.9-8.el9", "2:4.9-9.el9", "requested"),
        new PackageChange("tzdata", "noarch", "2023c-1.el9", "2024a-1.el9", "requested")),
        result.changes().stream().sorted(Comparator.comparing(PackageChange::name)).toList());
    assertTrue(result.fixed().isEmpty() && result.stillVulnerable().isEmpty(), "no report, no vulnerabilities");
    for (RpmSpec p : List.of(pkg("bash", "5.1.8-7.el9", "x86_64"), pkg("perl-IO", "1:1.43-470.el9", "x86_64"),
        pkg("shadow-utils", "2:4.9-9.el9", "x86_64"), pkg("tzdata", "2024a-1.el9", "noarch"))) {
      assertEquals(ArchRepositories.text(p.name(), p.evr(), p.arch()), new String(layer.get(ArchRepositories.file(p.name())
          .substring(1)), java.nio.charset.StandardCharsets.UTF_8), p.toString());
    }
    assertTrue(layer.keySet().stream().noneMatch(p -> p.startsWith("usr/share/glibc/") || p.startsWith("usr/share/libgcrypt/")
        || p.startsWith("usr/share/local-tool/")), "untouched packages' files stay in the base layer: " + layer.keySet());
  }

  @Test
  void anImageWithNothingNewerIsUpToDate() throws Exception {
    OciLayout current = OciLayout.openOrCreate(work.resolve("current"));
    FixtureRpmImages.rocky(repo, null, pkg("libgcrypt", "1.10.0-10.el9", "x86_64"), pkg("glibc", "2.34-100.el9", "x86_64"))
        .repoFile(ArchRepositories.repoFile(repo, "baseos")).write(current, "9");
    PatchResult result = Patcher.create().patch(PatchRequest.builder(current, "9").target(current, "9-patched")
        .cacheDirectory(work.resolve("cache")).build());

    assertTrue(result.upToDate(), result.changes().toString());
    assertTrue(result.manifest().isEmpty(), "nothing pushed");
  }

  /** kernel-core as RHEL's is: its files under a versioned path, installonly by its provide (dnf's installonlypkgs). */
  static RpmSpec kernel(String release) {
    return RpmSpec.rpm("kernel-core", "5.14.0", release).arch("x86_64").tag("Provides: installonlypkg(kernel)")
        .file("/lib/modules/5.14.0-" + release + ".x86_64/vmlinuz", "kernel 5.14.0-" + release + "\n");
  }

  /**
   * dnf's installonly packages (kernel-core here) are installed beside the running one, never
   * upgraded in place; in an image there is no running kernel to keep, and a second kernel is no
   * fix, so update-all leaves them (dnf itself would add kernel-core 427 beside 362).
   */
  @Test
  void anInstallonlyKernelIsLeftAsItIs() throws Exception {
    // As RHEL's kernel-core says it is installonly: by this provide (dnf's installonlypkgs name it).
    ArchRepositories.publish(repo, "kernels", kernel("427.el9"));
    OciLayout kernel = OciLayout.openOrCreate(work.resolve("kernel"));
    FixtureRpmImages.rocky(repo, null, kernel("362.el9")).repoFile(ArchRepositories.repoFile(repo, "kernels"))
        .write(kernel, "9");
    assertEquals(List.of("kernel-core-5.14.0-362.el9.x86_64", "kernel-core-5.14.0-427.el9.x86_64"),
        RpmJudges.dnfUpgrade(FixtureImages.topLayer(kernel, "9"), "9"), "dnf installs the new kernel beside the old one");
    PatchResult result = Patcher.create().patch(PatchRequest.builder(kernel, "9").dryRun(true)
        .cacheDirectory(work.resolve("cache")).build());

    assertEquals(List.of(), result.changes());
  }
}
