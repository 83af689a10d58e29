package dev.imagepatch.patch.family;

import static dev.imagepatch.patch.family.FixtureOs.pkg;
import static dev.imagepatch.patch.testing.FixtureReports.finding;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.patch.PatchException;
import dev.imagepatch.patch.PatchRequest;
import dev.imagepatch.patch.PatchResult;
import dev.imagepatch.patch.Patcher;
import dev.imagepatch.patch.testing.FixtureReports;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A report names the OS as its scanner does, the image as its os-release does: a Trivy
 * {@code redhat} report is for an image whose os-release says {@code ID=rhel}, Grype's
 * {@code amazonlinux} for {@code ID=amzn}. fixtureos images stand in for each (fixtureos in their
 * ID_LIKE, so the fixture family patches them), with the os-release IDs of the real distributions.
 */
class FixtureFamilyOsNamesTest {
  @TempDir
  Path work;

  private PatchResult patch(String osReleaseId, String reportFamily) throws Exception {
    Path repo = work.resolve("repo");
    FixtureOs.publish(repo, "amd64", pkg("hello", "1.1", "amd64"));
    OciLayout source = OciLayout.openOrCreate(work.resolve("source"));
    FixtureOs.image(source, "1", "ID=\"" + osReleaseId + "\"\nID_LIKE=\"fixtureos\"\nVERSION_ID=\"9\"\nPRETTY_NAME=\""
        + osReleaseId + " 9\"\n", "amd64", repo, pkg("hello", "1.0", "amd64"));
    return Patcher.create().patch(PatchRequest.builder(source, "1",
        FixtureReports.trivy(reportFamily, "9", "amd64", finding("CVE-2024-33333", "hello", "1.0", "1.1")))
        .dryRun(true).build());
  }

  @ParameterizedTest(name = "{1} report, os-release ID={0}")
  @CsvSource({"rhel, redhat", "rhel, rhel", "almalinux, alma", "almalinux, almalinux", "rocky, rocky",
      "rocky, rockylinux", "amzn, amazon", "amzn, amazonlinux", "ol, oracle", "ol, oraclelinux", "centos, centos",
      "centos, centos-stream", "fedora, fedora", "mariner, cbl-mariner", "mariner, mariner", "azurelinux, azurelinux",
      "azurelinux, cbl-mariner"})
  void theReportsFamilyIsTheImagesUnderItsOsReleaseId(String osReleaseId, String reportFamily) throws Exception {
    PatchResult result = patch(osReleaseId, reportFamily);
    assertEquals(List.of(new PatchResult.PackageChange("hello", "x86_64", "1.0", "1.1", "requested")), result.changes());
  }

  @ParameterizedTest(name = "{1} report, os-release ID={0}")
  @CsvSource({"rocky, oracle", "amzn, redhat", "ol, alma"})
  void aReportForAnotherDistributionIsRefused(String osReleaseId, String reportFamily) throws Exception {
    PatchException e = assertThrows(PatchException.class, () -> patch(osReleaseId, reportFamily));
    assertEquals("trivy-" + reportFamily + "-amd64.json: the report is for "
        + dev.imagepatch.report.OsFamily.fromName(reportFamily).orElseThrow().id() + ", but the image is "
        + osReleaseId + " (" + osReleaseId + " 9)", e.getMessage());
  }
}
