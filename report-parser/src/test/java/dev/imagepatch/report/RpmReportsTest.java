package dev.imagepatch.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.pkg.PackageManager;
import dev.imagepatch.report.SyntheticRpmReports.Finding;
import dev.imagepatch.report.SyntheticRpmReports.GrypeMatch;
import dev.imagepatch.report.UpdatePlan.NoFix;
import dev.imagepatch.report.UpdatePlan.PackageUpdate;
import dev.imagepatch.testing.SharedData;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Reports of RPM images: the real Trivy reports of the shared vectors (Rocky Linux 8, CBL-Mariner
 * 1.0), then {@link SyntheticRpmReports} for every other family and for Grype, each read into the
 * model and planned with rpm's version order.
 */
class RpmReportsTest {

  private static Report shared(String name) throws Exception {
    try (InputStream in = Files.newInputStream(SharedData.path("vectors/trivy/" + name))) {
      return Reports.read(in, name);
    }
  }

  @Test
  void realRockyReportKeepsEpochAndArchitecture() throws Exception {
    Report r = shared("trivy-rockylinux-8.json");
    assertEquals(OsFamily.ROCKY, r.osFamily().orElseThrow());
    assertEquals("8.5", r.osVersion().orElseThrow());
    assertEquals("amd64", Reports.platformKey(r).orElseThrow());
    Vulnerability v = r.osVulnerabilities().get(0);
    assertEquals("1:1.1.1k-4.el8", v.installedVersion());
    assertEquals(List.of("1:1.1.1k-5.el8_5"), v.fixedVersions());
    assertEquals("x86_64", v.architecture());
    assertEquals("pkg:rpm/rocky/openssl-libs@1.1.1k-4.el8?arch=x86_64&distro=rocky-8.5&epoch=1", v.purl());
    UpdatePlan plan = UpdatePlan.of(r, false);
    assertEquals(PackageManager.RPM, plan.packageManager().orElseThrow());
    assertEquals(List.of(new PackageUpdate("openssl-libs", null, "1:1.1.1k-4.el8", "1:1.1.1k-5.el8_5",
        List.of("CVE-2021-3712"), List.of("x86_64"))), plan.updates());
  }

  @Test
  void realMarinerReportHasNoPkgIdButAPurl() throws Exception {
    Report r = shared("trivy-mariner-1.0.json");
    assertEquals(OsFamily.CBL_MARINER, r.osFamily().orElseThrow());
    assertEquals("1.0", r.osVersion().orElseThrow());
    assertTrue(r.osVulnerabilities().stream().allMatch(v -> "x86_64".equals(v.architecture())));
    UpdatePlan plan = UpdatePlan.of(r, false);
    assertEquals(List.of(new PackageUpdate("vim", null, "8.2.4081-1.cm1", "8.2.4082-1.cm1", List.of("CVE-2022-0158"),
        List.of("x86_64"))), plan.updates());
    assertEquals(List.of(new NoFix("vim", "8.2.4081-1.cm1", List.of("CVE-2022-0261"))), plan.noFix());
  }

  /** SYNTHETIC Trivy reports, one per family Trivy names, with versions in each distribution's own style. */
  @ParameterizedTest(name = "trivy {0} {1}")
  @CsvSource(delimiter = '|', value = {
      "redhat      | 8.6        | openssl-libs | x86_64  | 1:1.1.1k-6.el8_5       | 1:1.1.1k-7.el8_6       | REDHAT      | amd64",
      "centos      | 7.9.2009   | bash         | x86_64  | 4.2.46-34.el7          | 4.2.46-35.el7_9        | CENTOS      | amd64",
      "rocky       | 9.2        | curl         | aarch64 | 7.76.1-23.el9          | 7.76.1-23.el9_2.1      | ROCKY       | arm64",
      "alma        | 9.1        | curl         | aarch64 | 7.76.1-19.el9          | 7.76.1-19.el9_1.1      | ALMA        | arm64",
      "fedora      | 37         | glibc        | x86_64  | 2.36-9.fc37            | 2.36-10.fc37           | FEDORA      | amd64",
      "amazon      | 2 (Karoo)  | openssl-libs | x86_64  | 1:1.0.2k-24.amzn2.0.4  | 1:1.0.2k-24.amzn2.0.6  | AMAZON      | amd64",
      "amazon      | 2023       | libxml2      | aarch64 | 2.10.4-1.amzn2023.0.3  | 2.10.4-1.amzn2023.0.5  | AMAZON      | arm64",
      "oracle      | 8.7        | vim-minimal  | x86_64  | 2:8.0.1763-19.0.1.el8_6.2 | 2:8.0.1763-19.0.1.el8_6.4 | ORACLE | amd64",
      "cbl-mariner | 2.0        | openssl      | x86_64  | 1.1.1k-21.cm2          | 1.1.1k-23.cm2          | CBL_MARINER | amd64",
      "azurelinux  | 3.0        | openssl      | aarch64 | 3.3.0-1.azl3           | 3.3.2-1.azl3           | AZURELINUX  | arm64"})
  void everyTrivyRpmFamilyIsReadAndPlanned(String family, String osName, String pkg, String arch, String installed,
      String fixed, OsFamily expected, String platform) throws Exception {
    Report r = SyntheticRpmReports.trivy(family, osName, platform, new Finding("CVE-2026-0001", pkg, arch, installed, fixed),
        new Finding("CVE-2026-0002", pkg, arch, installed, null));
    assertEquals(expected, r.osFamily().orElseThrow());
    assertEquals(osName, r.osVersion().orElseThrow());
    assertEquals(platform, Reports.platformKey(r).orElseThrow());
    assertEquals(arch, r.osVulnerabilities().get(0).architecture());
    UpdatePlan plan = UpdatePlan.of(r, false);
    assertEquals(PackageManager.RPM, plan.packageManager().orElseThrow());
    assertEquals(List.of(new PackageUpdate(pkg, null, installed, fixed, List.of("CVE-2026-0001"), List.of(arch))),
        plan.updates());
    assertEquals(List.of(new NoFix(pkg, installed, List.of("CVE-2026-0002"))), plan.noFix());
  }

  /** SYNTHETIC Grype reports: Grype's distro names and syft's purl namespaces (os-release IDs). */
  @ParameterizedTest(name = "grype {0} {2}")
  @CsvSource(delimiter = '|', value = {
      "redhat      | rhel       | 9.3  | openssl-libs | x86_64  | 1:3.0.7-24.el9     | 1:3.0.7-25.el9_3   | REDHAT",
      "centos      | centos     | 7    | bash         | x86_64  | 4.2.46-34.el7      | 0:4.2.46-35.el7_9  | CENTOS",
      "rockylinux  | rocky      | 8.9  | openssl-libs | x86_64  | 1:1.1.1k-9.el8_7   | 1:1.1.1k-12.el8_9  | ROCKY",
      "almalinux   | almalinux  | 9.3  | curl         | aarch64 | 7.76.1-26.el9      | 0:7.76.1-26.el9_3.2 | ALMA",
      "fedora      | fedora     | 39   | glibc        | x86_64  | 2.38-14.fc39       | 2.38-16.fc39       | FEDORA",
      "amazonlinux | amzn       | 2    | openssl-libs | x86_64  | 1:1.0.2k-24.amzn2.0.4 | 1:1.0.2k-24.amzn2.0.6 | AMAZON",
      "oraclelinux | ol         | 9.3  | vim-minimal  | x86_64  | 2:8.2.2637-20.0.1.el9_1 | 2:8.2.2637-20.0.1.el9_3 | ORACLE",
      "mariner     | mariner    | 2.0  | openssl      | x86_64  | 1.1.1k-27.cm2      | 1.1.1k-28.cm2      | CBL_MARINER",
      "azurelinux  | azurelinux | 3.0  | openssl      | aarch64 | 3.3.0-1.azl3       | 3.3.2-1.azl3       | AZURELINUX",
      // Grype falls back to the os-release ID when it cannot type the distro.
      "rhel        | rhel       | 8.9  | bash         | x86_64  | 4.4.20-4.el8_6     | 4.4.20-5.el8_9     | REDHAT"})
  void everyGrypeRpmFamilyIsReadAndPlanned(String distro, String osRelease, String version, String pkg, String arch,
      String installed, String fixed, OsFamily expected) throws Exception {
    Report r = SyntheticRpmReports.grype(distro, osRelease, version, arch.equals("aarch64") ? "arm64" : "amd64",
        List.of(GrypeMatch.of("CVE-2026-0001", pkg, arch, installed, fixed),
            GrypeMatch.of("CVE-2026-0002", pkg, arch, installed)));
    assertEquals("grype", r.scanner());
    assertEquals(expected, r.osFamily().orElseThrow());
    assertEquals(version, r.osVersion().orElseThrow());
    assertEquals(arch, r.osVulnerabilities().get(0).architecture());
    UpdatePlan plan = UpdatePlan.of(r, false);
    // An installed version without an epoch compares as Grype does: the fix's explicit 0: goes.
    String target = RpmEpochs.stated(installed) ? fixed : RpmEpochs.strip(fixed);
    assertEquals(List.of(new PackageUpdate(pkg, pkg, installed, target, List.of("CVE-2026-0001"), List.of(arch))),
        plan.updates());
    assertEquals(List.of(new NoFix(pkg, installed, List.of("CVE-2026-0002"))), plan.noFix());
  }

  @Test
  void severalFixedVersionsTheLowestAboveTheInstalledOneApplies() throws Exception {
    // Trivy writes several fixes comma-separated, in no particular order.
    String streams = "1:1.1.1k-7.el8_6, 1:1.1.1k-5.el8_5, 1:1.1.1k-9.el8_7";
    UpdatePlan older = UpdatePlan.of(SyntheticRpmReports.trivy("redhat", "8.4", "amd64",
        new Finding("CVE-2026-0003", "openssl-libs", "x86_64", "1:1.1.1k-4.el8", streams)), false);
    assertEquals("1:1.1.1k-5.el8_5", older.updates().get(0).targetVersion());
    UpdatePlan newer = UpdatePlan.of(SyntheticRpmReports.trivy("redhat", "8.6", "amd64",
        new Finding("CVE-2026-0003", "openssl-libs", "x86_64", "1:1.1.1k-6.el8_5", streams)), false);
    assertEquals("1:1.1.1k-7.el8_6", newer.updates().get(0).targetVersion());
    UpdatePlan fixed = UpdatePlan.of(SyntheticRpmReports.trivy("redhat", "8.8", "amd64",
        new Finding("CVE-2026-0003", "openssl-libs", "x86_64", "1:1.1.1k-9.el8_7", streams)), false);
    assertEquals(List.of(), fixed.updates());
    assertEquals(List.of("CVE-2026-0003 (openssl-libs)"), fixed.alreadyFixed());
  }

  @Test
  void theTargetIsTheHighestFixByRpmOrderEpochFirst() throws Exception {
    // rpm: 1:1.0-1 > 3.0-1 > 2.0-1 (epoch first); 1.0~rc1 < 1.0; 1.0^post > 1.0.
    UpdatePlan plan = UpdatePlan.of(SyntheticRpmReports.trivy("fedora", "39", "amd64",
        new Finding("CVE-2026-0010", "tool", "x86_64", "2.0-1.fc39", "3.0-1.fc39"),
        new Finding("CVE-2026-0011", "tool", "x86_64", "2.0-1.fc39", "1:1.0-1.fc39"),
        new Finding("CVE-2026-0012", "tilde", "noarch", "1.0~rc1-1.fc39", "1.0~rc2-1.fc39"),
        new Finding("CVE-2026-0013", "caret", "noarch", "1.0-1.fc39", "1.0^20260101git1-1.fc39"),
        new Finding("CVE-2026-0014", "caret", "noarch", "1.0-1.fc39", "1.0-1.fc39")), false);
    assertEquals(List.of(
        new PackageUpdate("caret", null, "1.0-1.fc39", "1.0^20260101git1-1.fc39", List.of("CVE-2026-0013"), List.of("noarch")),
        new PackageUpdate("tilde", null, "1.0~rc1-1.fc39", "1.0~rc2-1.fc39", List.of("CVE-2026-0012"), List.of("noarch")),
        new PackageUpdate("tool", null, "2.0-1.fc39", "1:1.0-1.fc39", List.of("CVE-2026-0010", "CVE-2026-0011"),
            List.of("x86_64"))), plan.updates());
    assertEquals(List.of("CVE-2026-0014 (caret)"), plan.alreadyFixed());
  }

  @Test
  void grypeEpochsCountOnlyWhenBothVersionsStateOne() throws Exception {
    UpdatePlan plan = UpdatePlan.of(SyntheticRpmReports.grype("redhat", "rhel", "8.10", "amd64", List.of(
        // The advisory leaves the epoch out: Grype still matches, and the fix keeps the installed epoch 1.
        GrypeMatch.of("CVE-2026-0020", "NetworkManager", "x86_64", "1:1.40.16-15.el8_9", "1.40.16-18.el8_10"),
        // Installed without an epoch, the advisory with 0: and with 1: (Grype ignores both).
        GrypeMatch.of("CVE-2026-0021", "libldb", "x86_64", "1.5.4-2.el7", "0:1.5.4-2.el7_9"),
        GrypeMatch.of("CVE-2026-0022", "zlib", "x86_64", "1.2.11-40.el8", "1:1.2.11-41.el8"),
        // Both explicit: rpm's order, epochs first.
        GrypeMatch.of("CVE-2026-0023", "perl-IO", "x86_64", "0:1.38-422.el8", "1:1.38-423.el8"))), false);
    assertEquals(List.of(
        new PackageUpdate("NetworkManager", "NetworkManager", "1:1.40.16-15.el8_9", "1:1.40.16-18.el8_10",
            List.of("CVE-2026-0020"), List.of("x86_64")),
        new PackageUpdate("libldb", "libldb", "1.5.4-2.el7", "1.5.4-2.el7_9", List.of("CVE-2026-0021"), List.of("x86_64")),
        new PackageUpdate("perl-IO", "perl-IO", "0:1.38-422.el8", "1:1.38-423.el8", List.of("CVE-2026-0023"),
            List.of("x86_64")),
        new PackageUpdate("zlib", "zlib", "1.2.11-40.el8", "1.2.11-41.el8", List.of("CVE-2026-0022"), List.of("x86_64"))),
        plan.updates());
  }

  @Test
  void grypeEpochOnlyInMetadataOrPurlIsTheInstalledVersions() throws Exception {
    // An SBOM-fed scan (anchore/grype#2170): the version lacks the epoch its metadata and purl state.
    Report r = SyntheticRpmReports.grype("redhat", "rhel", "8.10", "amd64", List.of(
        new GrypeMatch("CVE-2026-0030", "NetworkManager", "x86_64", "1.40.16-15.el8_9", 1, "1",
            List.of("1:1.40.16-18.el8_10")),
        new GrypeMatch("CVE-2026-0031", "NetworkManager-libnm", "x86_64", "1.40.16-15.el8_9", null, "1",
            List.of("1:1.40.16-18.el8_10")),
        new GrypeMatch("CVE-2026-0032", "bash", "x86_64", "4.4.20-4.el8_6", 0, "0", List.of("4.4.20-5.el8_9"))));
    assertEquals(List.of("1:1.40.16-15.el8_9", "1:1.40.16-15.el8_9", "4.4.20-4.el8_6"),
        r.osVulnerabilities().stream().map(Vulnerability::installedVersion).toList());
    assertEquals(List.of("1:1.40.16-18.el8_10", "1:1.40.16-18.el8_10", "4.4.20-5.el8_9"),
        UpdatePlan.of(r, false).updates().stream().map(PackageUpdate::targetVersion).toList());
  }

  @Test
  void aMultilibPairIsOneUpdateFromItsLowerVersion() throws Exception {
    UpdatePlan same = UpdatePlan.of(SyntheticRpmReports.trivy("centos", "7.9.2009", "amd64",
        new Finding("CVE-2026-0040", "glibc", "x86_64", "2.17-325.el7_9", "2.17-326.el7_9"),
        new Finding("CVE-2026-0040", "glibc", "i686", "2.17-325.el7_9", "2.17-326.el7_9")), false);
    assertEquals(List.of(new PackageUpdate("glibc", null, "2.17-325.el7_9", "2.17-326.el7_9", List.of("CVE-2026-0040"),
        List.of("i686", "x86_64"))), same.updates());

    UpdatePlan apart = UpdatePlan.of(SyntheticRpmReports.trivy("centos", "7.9.2009", "amd64",
        new Finding("CVE-2026-0041", "glibc", "x86_64", "2.17-326.el7_9", "2.17-327.el7_9"),
        new Finding("CVE-2026-0041", "glibc", "i686", "2.17-317.el7", "2.17-327.el7_9")), false);
    assertEquals(List.of(new PackageUpdate("glibc", null, "2.17-317.el7", "2.17-327.el7_9", List.of("CVE-2026-0041"),
        List.of("i686", "x86_64"))), apart.updates());

    Report twice = SyntheticRpmReports.trivy("centos", "7.9.2009", "amd64",
        new Finding("CVE-2026-0042", "glibc", "x86_64", "2.17-326.el7_9", "2.17-327.el7_9"),
        new Finding("CVE-2026-0043", "glibc", "x86_64", "2.17-317.el7", "2.17-327.el7_9"));
    UpdatePlan.PlanException e = assertThrows(UpdatePlan.PlanException.class, () -> UpdatePlan.of(twice, false));
    assertEquals("glibc: installed at two versions in the report, 2.17-326.el7_9 and 2.17-317.el7 (both x86_64)",
        e.getMessage());
  }

  @Test
  void anUnreadableRpmVersionNamesThePackageAndTheField() throws Exception {
    Report r = SyntheticRpmReports.trivy("redhat", "9.3", "amd64",
        new Finding("CVE-2026-0050", "openssl-libs", "x86_64", "1:3.0.7-24.el9", "x:3.0.7-25.el9"));
    UpdatePlan.PlanException e = assertThrows(UpdatePlan.PlanException.class, () -> UpdatePlan.of(r, false));
    assertTrue(e.getMessage().startsWith("openssl-libs: fixed version of CVE-2026-0050: invalid rpm version 'x:3.0.7-25.el9'"),
        e.getMessage());
    assertEquals(List.of("openssl-libs"), UpdatePlan.of(r, true).skipped().stream().map(UpdatePlan.Skipped::name).toList());
  }
}
