package dev.imagepatch.patch.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagepatch.report.Report;
import dev.imagepatch.report.Reports;
import java.io.ByteArrayInputStream;
import java.io.IOException;

/** Trivy (SchemaVersion 2) reports, read by the same parser as a scanner's file. */
public final class FixtureReports {
  /** One finding: {@code pkg} at {@code installed} has {@code cve}, fixed in {@code fixed}. */
  public record Finding(String cve, String pkg, String installed, String fixed) {}

  private FixtureReports() {}

  public static Finding finding(String cve, String pkg, String installed, String fixed) {
    return new Finding(cve, pkg, installed, fixed);
  }

  /** A report for a Debian 12 image of {@code arch}. */
  public static Report debian(String arch, Finding... findings) throws IOException {
    return trivy("debian", "12.2", arch, findings);
  }

  /** A report for an image of {@code family} (debian, alpine, ...) and {@code arch}. */
  public static Report trivy(String family, String version, String arch, Finding... findings) throws IOException {
    ObjectMapper json = new ObjectMapper();
    ObjectNode r = json.createObjectNode().put("SchemaVersion", 2).put("ArtifactName", "fixture:12")
        .put("ArtifactType", "container_image");
    ObjectNode md = r.putObject("Metadata");
    md.putObject("OS").put("Family", family).put("Name", version);
    md.putObject("ImageConfig").put("architecture", arch);
    ObjectNode result = r.putArray("Results").addObject().put("Target", "fixture:12 (" + family + " " + version + ")")
        .put("Class", "os-pkgs").put("Type", family);
    ArrayNode vulns = result.putArray("Vulnerabilities");
    for (Finding f : findings) {
      vulns.addObject().put("VulnerabilityID", f.cve()).put("PkgName", f.pkg()).put("InstalledVersion", f.installed())
          .put("FixedVersion", f.fixed()).put("Status", "fixed").put("Severity", "HIGH");
    }
    return Reports.read(new ByteArrayInputStream(json.writeValueAsBytes(r)), "trivy-" + family + "-" + arch + ".json");
  }
}
