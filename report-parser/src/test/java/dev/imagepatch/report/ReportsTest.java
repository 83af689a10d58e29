package dev.imagepatch.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.pkg.PackageManager;
import dev.imagepatch.report.UpdatePlan.NoFix;
import dev.imagepatch.report.UpdatePlan.PackageUpdate;
import dev.imagepatch.testing.SharedData;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Real Trivy and Grype reports read into the model and planned, with concrete facts checked. */
class ReportsTest {
  @TempDir
  Path temp;

  /**
   * Trivy, Copa and fanal files are read in place from the shared vectors ({@code vectors/trivy/}).
   * The shared vectors have no Grype report, so {@code grype-centos-8.json} is one written here in
   * the shape of Grype's JSON presenter (source, distro, descriptor, matches with fix versions).
   */
  static InputStream open(String name) throws IOException {
    if (name.equals(GRYPE)) {
      return new java.io.ByteArrayInputStream(GRYPE_REPORT.getBytes(StandardCharsets.UTF_8));
    }
    return Files.newInputStream(SharedData.path("vectors/trivy/" + name));
  }

  static final String GRYPE = "grype-centos-8.json";

  /** Two matches: an rpm with three release streams of fixes, a deb with none. */
  static final String GRYPE_REPORT = """
      {"matches": [
        {"vulnerability": {"id": "CVE-1999-0001", "severity": "Low", "cvss": [{"version": "3.1", "metrics":
            {"baseScore": 8.2}}], "fix": {"versions": ["1.2.1", "2.1.3", "3.4.0"], "state": "fixed"}},
         "relatedVulnerabilities": [],
         "matchDetails": [{"type": "exact-direct-match", "matcher": "rpm-matcher",
            "searchedBy": {"distro": {"type": "centos", "version": "8.0"}}, "fix": {"suggestedVersion": "1.2.1"}}],
         "artifact": {"id": "a1", "name": "package-1", "version": "1.1.1", "type": "rpm",
            "locations": [{"path": "/var/lib/rpm/rpmdb.sqlite"}], "purl": "", "upstreams": [],
            "metadataType": "RpmMetadata", "metadata": {"epoch": 2, "architecture": "x86_64"}}},
        {"vulnerability": {"id": "CVE-1999-0002", "severity": "Critical", "fix": {"versions": [], "state": ""}},
         "relatedVulnerabilities": [],
         "matchDetails": [{"type": "exact-indirect-match", "matcher": "dpkg-matcher", "searchedBy": {"cpe": "c"}}],
         "artifact": {"id": "a2", "name": "package-2", "version": "2.2.2", "type": "deb",
            "locations": [{"path": "/var/lib/dpkg/status"}], "purl": "pkg:deb/package-2@2.2.2", "upstreams": []}}
       ],
       "source": {"type": "image", "target": {"userInput": "example/app:1", "architecture": "", "os": ""}},
       "distro": {"name": "centos", "version": "8.0", "idLike": ["centos"]},
       "descriptor": {"name": "grype", "version": "0.0.0-test"}}
      """;

  static Report report(String name) throws IOException {
    try (InputStream in = open(name)) {
      return Reports.read(in, name);
    }
  }

  static UpdatePlan plan(String name) throws Exception {
    return UpdatePlan.of(report(name), false);
  }

  static String text(String name) throws IOException {
    try (InputStream in = open(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private Path write(String name, String content) throws IOException {
    return Files.writeString(temp.resolve(name), content);
  }

  @ParameterizedTest
  @ValueSource(strings = {"trivy-alpine-310.json", "trivy-debian-buster.json", "trivy-distroless-base.json",
      "trivy-mariner-1.0.json", "trivy-rockylinux-8.json", "trivy-ubuntu-1804.json", "copa-pkg_types_test.json",
      "copa-trivy_dotnet.json", GRYPE})
  void everyReportParsesAndPlans(String name) throws Exception {
    Report r = report(name);
    assertFalse(r.vulnerabilities().isEmpty(), name);
    UpdatePlan.of(r, false);
  }

  @Test
  void alpinePackageListedOncePerCveGetsTheHighestFix() throws Exception {
    UpdatePlan plan = plan("trivy-alpine-310.json");
    Report r = plan.report();
    assertEquals(OsFamily.ALPINE, r.osFamily().orElseThrow());
    assertEquals("3.10.2", r.osVersion().orElseThrow());
    assertEquals("amd64", r.architecture().orElseThrow());
    assertEquals(4, r.osVulnerabilities().size());
    assertEquals(PackageManager.APK, plan.packageManager().orElseThrow());
    assertEquals(List.of(
        new PackageUpdate("libcrypto1.1", null, "1.1.1c-r0", "1.1.1d-r2", List.of("CVE-2019-1549", "CVE-2019-1551"),
            List.of("x86_64")),
        new PackageUpdate("libssl1.1", null, "1.1.1c-r0", "1.1.1d-r2", List.of("CVE-2019-1549", "CVE-2019-1551"),
            List.of("x86_64"))),
        plan.updates());
    assertEquals("pkg:apk/alpine/libcrypto1.1@1.1.1c-r0?arch=x86_64&distro=3.10.2", r.vulnerabilities().get(0).purl());
  }

  @Test
  void rockyEpochsAreKeptAndCompared() throws Exception {
    UpdatePlan plan = plan("trivy-rockylinux-8.json");
    assertEquals(OsFamily.ROCKY, plan.report().osFamily().orElseThrow());
    assertEquals(List.of(new PackageUpdate("openssl-libs", null, "1:1.1.1k-4.el8", "1:1.1.1k-5.el8_5",
        List.of("CVE-2021-3712"), List.of("x86_64"))), plan.updates());
    assertTrue(plan.report().vulnerabilities().get(0).purl().contains("&epoch=1"));
  }

  @Test
  void distrolessDebianSplitsFixedFromUnfixed() throws Exception {
    UpdatePlan plan = plan("trivy-distroless-base.json");
    assertEquals("9.9", plan.report().osVersion().orElseThrow());
    assertEquals(List.of(
        new PackageUpdate("libssl1.1", null, "1.1.0k-1~deb9u1", "1.1.0l-1~deb9u1", List.of("CVE-2019-1563"), List.of("amd64")),
        new PackageUpdate("openssl", null, "1.1.0k-1~deb9u1", "1.1.0l-1~deb9u1", List.of("CVE-2019-1563"), List.of("amd64"))),
        plan.updates());
    assertEquals(List.of(new NoFix("libssl1.1", "1.1.0k-1~deb9u1", List.of("CVE-2019-1551")),
        new NoFix("openssl", "1.1.0k-1~deb9u1", List.of("CVE-2019-1551"))), plan.noFix());
  }

  @Test
  void debianBusterHasANoFixEntry() throws Exception {
    UpdatePlan plan = plan("trivy-debian-buster.json");
    assertEquals(List.of(new NoFix("bash", "5.0-4", List.of("CVE-2019-18276"))), plan.noFix());
    assertEquals(List.of(new PackageUpdate("libidn2-0", null, "2.0.5-1", "2.0.5-1+deb10u1", List.of("CVE-2019-18224"), List.of("amd64"))),
        plan.updates());
    assertEquals("affected", plan.report().vulnerabilities().get(0).status());
  }

  @Test
  void ubuntuAndMariner() throws Exception {
    UpdatePlan ubuntu = plan("trivy-ubuntu-1804.json");
    assertEquals(List.of("e2fsprogs", "libcom-err2", "libext2fs2", "libss2"),
        ubuntu.updates().stream().map(PackageUpdate::name).toList());
    assertTrue(ubuntu.updates().stream().allMatch(u -> u.targetVersion().equals("1.44.1-1ubuntu1.2")));
    UpdatePlan mariner = plan("trivy-mariner-1.0.json");
    assertEquals(PackageManager.RPM, mariner.packageManager().orElseThrow());
    assertEquals(List.of(new PackageUpdate("vim", null, "8.2.4081-1.cm1", "8.2.4082-1.cm1", List.of("CVE-2022-0158"), List.of("x86_64"))),
        mariner.updates());
    assertEquals(List.of(new NoFix("vim", "8.2.4081-1.cm1", List.of("CVE-2022-0261"))), mariner.noFix());
  }

  @Test
  void languageResultsAreCountedNotDropped() throws Exception {
    UpdatePlan types = plan("copa-pkg_types_test.json");
    assertEquals(1, types.updates().size());
    assertEquals("2.31-0ubuntu9.13", types.updates().get(0).targetVersion());
    assertEquals(Map.of("python-pkg", 1), types.languageFindings());

    UpdatePlan dotnet = plan("copa-trivy_dotnet.json");
    assertEquals(0, dotnet.updates().size());
    assertEquals(Map.of("dotnet-core", 6), dotnet.languageFindings());
    Vulnerability runtime = dotnet.report().languageVulnerabilities().stream()
        .filter(v -> v.packageName().equals("Microsoft.AspNetCore.App.Runtime.linux-x64")).findFirst().orElseThrow();
    assertEquals(List.of("8.0.25", "9.0.14", "10.0.4"), runtime.fixedVersions());
  }

  @Test
  void grypeMatchesBecomeTheSameModel() throws Exception {
    UpdatePlan plan = plan(GRYPE);
    Report r = plan.report();
    assertEquals("grype", r.scanner());
    assertEquals(OsFamily.CENTOS, r.osFamily().orElseThrow());
    assertEquals("8.0", r.osVersion().orElseThrow());
    assertEquals(2, r.osVulnerabilities().size());
    // Three release streams are listed; the lowest above the installed version applies. The epoch
    // the rpm's metadata states (2) is the installed version's, and Grype's epoch-less fixes take it.
    assertEquals(List.of(new PackageUpdate("package-1", null, "2:1.1.1", "2:1.2.1", List.of("CVE-1999-0001"))),
        plan.updates());
    assertEquals(List.of(new NoFix("package-2", "2.2.2", List.of("CVE-1999-0002"))), plan.noFix());
    assertEquals("pkg:deb/package-2@2.2.2", r.vulnerabilities().get(1).purl());
  }

  @Test
  void badInputsSayWhatIsWrong() throws Exception {
    String alpine = text("trivy-alpine-310.json");
    assertReadError(write("truncated.json", alpine.substring(0, 2000)), "truncated.json: invalid JSON at line");
    assertReadError(write("schema.json", alpine.replace("\"SchemaVersion\": 2", "\"SchemaVersion\": 1")),
        "schema.json: SchemaVersion 1 is not supported");
    assertReadError(write("noos.json", alpine.replaceFirst("\"Family\": \"alpine\",", "")),
        "noos.json: missing OS metadata: Metadata.OS.Family is absent");
    assertReadError(write("family.json", alpine.replaceFirst("\"Family\": \"alpine\"", "\"Family\": \"plan9\"")),
        "family.json: unknown OS family 'plan9' in Metadata.OS.Family (known: debian, echo, ubuntu, alpine");
    assertReadError(write("empty.json", ""), "empty.json: empty file");
    assertReadError(write("other.json", "{\"hello\": 1}"), "other.json: not a report format imagepatch reads (known: trivy, grype");
    assertReadError(write("noid.json", alpine.replaceFirst("\"VulnerabilityID\": \"CVE-2019-1549\",", "")),
        "noid.json: Results[0].Vulnerabilities[0].VulnerabilityID is missing");

    String truncated = alpine.substring(0, 2000);
    ReportException e = assertThrows(ReportException.class, () -> Reports.read(write("t2.json", truncated)));
    assertTrue(e.getMessage().matches("(?s).*line \\d+, column \\d+.*"), e.getMessage());
  }

  private static void assertReadError(Path file, String start) {
    ReportException e = assertThrows(ReportException.class, () -> Reports.read(file));
    String expected = file.getParent() + "/" + start;
    assertTrue(e.getMessage().startsWith(expected), "expected '" + expected + "' at the start of: " + e.getMessage());
  }

  @Test
  void aPackageListIsNotTakenForAReport() {
    ReportException e = assertThrows(ReportException.class, () -> report("fanal-packages-alpine-310.json"));
    assertEquals("fanal-packages-alpine-310.json: not a report format imagepatch reads (known: trivy, grype, line)",
        e.getMessage());
  }

  @Test
  void everyTrivyFamilyIsMapped() {
    // Trivy's OSTypes (pkg/fanal/types/const.go) and the aliases it still accepts.
    for (String family : List.of("activestate", "alma", "alpine", "amazon", "azurelinux", "bottlerocket", "cbl-mariner",
        "centos", "centos-stream", "chainguard", "coreos", "debian", "echo", "fedora", "minimos", "opensuse",
        "opensuse-leap", "opensuse-tumbleweed", "oracle", "photon", "redhat", "rocky", "slem", "sles", "ubuntu",
        "wolfi", "cleanstart", "opensuse.leap", "suse linux enterprise server", "amazon linux")) {
      assertTrue(OsFamily.fromName(family).isPresent(), family);
    }
    assertEquals(PackageManager.DPKG, OsFamily.fromName("Ubuntu").orElseThrow().packageManager().orElseThrow());
    assertEquals(PackageManager.APK, OsFamily.fromName("wolfi").orElseThrow().packageManager().orElseThrow());
    assertEquals(PackageManager.RPM, OsFamily.fromName("suse linux enterprise server").orElseThrow().packageManager().orElseThrow());
    assertTrue(OsFamily.fromName("bottlerocket").orElseThrow().packageManager().isEmpty());
  }

  @Test
  void anUnparsableVersionFailsThePlanUnlessErrorsAreIgnored() throws Exception {
    String alpine = text("trivy-alpine-310.json").replace("\"FixedVersion\": \"1.1.1d-r0\"", "\"FixedVersion\": \"1.1.1d-r0_pre\"");
    Report r = Reports.read(write("badversion.json", alpine));
    UpdatePlan.PlanException e = assertThrows(UpdatePlan.PlanException.class, () -> UpdatePlan.of(r, false));
    assertTrue(e.getMessage().startsWith("libcrypto1.1: fixed version of CVE-2019-1549: invalid apk version '1.1.1d-r0_pre'"),
        e.getMessage());
    UpdatePlan lenient = UpdatePlan.of(r, true);
    assertEquals(List.of("libcrypto1.1", "libssl1.1"), lenient.skipped().stream().map(UpdatePlan.Skipped::name).toList());
    assertEquals(0, lenient.updates().size());
  }

  @Test
  void aDirectoryIsOneReportPerPlatform() throws Exception {
    String alpine = text("trivy-alpine-310.json");
    Path dir = Files.createDirectories(temp.resolve("multi"));
    Files.writeString(dir.resolve("amd64.json"), alpine);
    Files.writeString(dir.resolve("arm64.json"), alpine.replace("\"architecture\": \"amd64\"", "\"architecture\": \"arm64\""));
    Files.writeString(dir.resolve("notes.txt"), "not a report");
    Map<String, Report> reports = Reports.readDirectory(dir);
    assertEquals(List.of("amd64", "arm64"), List.copyOf(reports.keySet()));
    assertTrue(reports.get("arm64").source().endsWith("arm64.json"));

    Files.writeString(dir.resolve("x86_64.json"), alpine.replace("\"architecture\": \"amd64\"", "\"architecture\": \"x86_64\""));
    ReportException twice = assertThrows(ReportException.class, () -> Reports.readDirectory(dir));
    assertEquals(dir + ": two reports for amd64: " + dir.resolve("amd64.json") + " and " + dir.resolve("x86_64.json"),
        twice.getMessage());
  }

  @Test
  void aPluggedInFormatIsFoundThroughTheServiceLoader() throws Exception {
    assertEquals(List.of("trivy", "grype", "line"), Reports.formats().stream().map(ReportFormat::name).toList());
    Report r = Reports.read(write("findings.txt", "LINE-REPORT debian amd64\nCVE-2024-1 zlib1g 1:1.2.13.dfsg-1 1:1.2.13.dfsg-1+deb12u1\n"));
    UpdatePlan plan = UpdatePlan.of(r, false);
    assertEquals("1:1.2.13.dfsg-1+deb12u1", plan.updates().get(0).targetVersion());
  }
}
