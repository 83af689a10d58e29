package dev.imagepatch.report;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * SYNTHETIC reports, written here: the shared vectors hold real Trivy reports only for Rocky
 * Linux 8 and CBL-Mariner 1.0, and no Grype report at all. These are made in the shapes the
 * scanners write, field for field, so each RPM family and each version convention has a case:
 * Trivy's {@code Results[].Vulnerabilities[]} with {@code PkgID name@V-R.arch}, a purl
 * {@code pkg:rpm/<family>/<name>@<V-R>?arch=..&distro=<family>-<os>&epoch=..} (epoch only when not 0)
 * and epochs in the versions as in the real Rocky report; Grype's {@code matches[]} with syft's
 * artifact (version {@code [epoch:]V-R} whenever the header has an epoch, purl namespace the
 * os-release ID, {@code rhel} written {@code redhat}, {@code metadata.epoch}) and Grype's
 * {@code distro.name} ({@code grype/distro/type.go}).
 */
final class SyntheticRpmReports {
  private SyntheticRpmReports() {}

  /** One finding: the package (name, its arch, installed EVR) and the fix (comma-separated versions, or null). */
  record Finding(String id, String name, String arch, String installed, String fixed) {}

  /** A Trivy SchemaVersion 2 image report. */
  static Report trivy(String family, String osName, String imageArch, Finding... findings) throws IOException {
    ObjectNode doc = JsonReports.MAPPER.createObjectNode();
    doc.put("SchemaVersion", 2);
    doc.put("CreatedAt", "2026-11-30T10:00:00Z");
    doc.put("ArtifactName", "registry.example/" + family + ":synthetic");
    doc.put("ArtifactType", "container_image");
    ObjectNode meta = doc.putObject("Metadata");
    meta.putObject("OS").put("Family", family).put("Name", osName);
    meta.putObject("ImageConfig").put("architecture", imageArch).put("os", "linux");
    ObjectNode result = doc.putArray("Results").addObject();
    result.put("Target", "registry.example/" + family + ":synthetic (" + family + " " + osName + ")");
    result.put("Class", "os-pkgs");
    result.put("Type", family);
    ArrayNode vulns = result.putArray("Vulnerabilities");
    for (Finding f : findings) {
      ObjectNode v = vulns.addObject();
      v.put("VulnerabilityID", f.id());
      v.put("PkgID", f.name() + "@" + RpmEpochs.strip(f.installed()) + "." + f.arch());
      v.put("PkgName", f.name());
      String epoch = RpmEpochs.of(f.installed());
      String purl = "pkg:rpm/" + family + "/" + f.name() + "@" + RpmEpochs.strip(f.installed()) + "?arch=" + f.arch()
          + "&distro=" + family + "-" + osName.split(" ")[0] + (epoch == null || epoch.equals("0") ? "" : "&epoch=" + epoch);
      v.putObject("PkgIdentifier").put("PURL", purl).put("UID", Integer.toHexString(purl.hashCode()));
      v.put("InstalledVersion", f.installed());
      if (f.fixed() != null) {
        v.put("FixedVersion", f.fixed());
      }
      v.put("Status", f.fixed() == null ? "affected" : "fixed");
      v.put("Severity", "HIGH");
    }
    return Reports.read(new ByteArrayInputStream(JsonReports.MAPPER.writeValueAsBytes(doc)), "synthetic-trivy-" + family);
  }

  /**
   * A Grype JSON report; {@code installed} is the artifact's version as syft writes it and
   * {@code metadataEpoch} its {@code metadata.epoch} (null: absent).
   */
  static Report grype(String distroName, String osRelease, String version, String imageArch, List<GrypeMatch> matches)
      throws IOException {
    ObjectNode doc = JsonReports.MAPPER.createObjectNode();
    ArrayNode ms = doc.putArray("matches");
    for (GrypeMatch m : matches) {
      ObjectNode match = ms.addObject();
      ObjectNode vuln = match.putObject("vulnerability");
      vuln.put("id", m.id()).put("dataSource", "https://access.redhat.com/security/cve/" + m.id())
          .put("namespace", distroName + ":distro:" + distroName + ":" + version.split("\\.")[0]).put("severity", "High");
      ObjectNode fix = vuln.putObject("fix");
      ArrayNode versions = fix.putArray("versions");
      m.fixed().forEach(versions::add);
      fix.put("state", m.fixed().isEmpty() ? "not-fixed" : "fixed");
      match.putArray("relatedVulnerabilities");
      match.putArray("matchDetails").addObject().put("type", "exact-direct-match").put("matcher", "rpm-matcher");
      ObjectNode a = match.putObject("artifact");
      a.put("id", Integer.toHexString((m.name() + m.arch()).hashCode()));
      a.put("name", m.name()).put("version", m.installed()).put("type", "rpm");
      a.putArray("locations").addObject().put("path", "/var/lib/rpm/rpmdb.sqlite");
      a.put("language", "");
      List<String> q = new ArrayList<>();
      q.add("arch=" + m.arch());
      if (m.purlEpoch() != null) {
        q.add("epoch=" + m.purlEpoch());
      }
      q.add("upstream=" + m.name() + "-" + RpmEpochs.strip(m.installed()) + ".src.rpm");
      q.add("distro=" + osRelease + "-" + version);
      String namespace = osRelease.equals("rhel") ? "redhat" : osRelease;
      a.put("purl", "pkg:rpm/" + namespace + "/" + m.name() + "@" + RpmEpochs.strip(m.installed()) + "?"
          + String.join("&", q));
      a.putArray("upstreams").addObject().put("name", m.name());
      a.put("metadataType", "RpmMetadata");
      ObjectNode md = a.putObject("metadata");
      if (m.metadataEpoch() == null) {
        md.putNull("epoch");
      } else {
        md.put("epoch", m.metadataEpoch());
      }
      md.put("modularityLabel", "");
    }
    ObjectNode source = doc.putObject("source");
    source.put("type", "image");
    source.putObject("target").put("userInput", "registry.example/" + osRelease + ":synthetic")
        .put("architecture", imageArch).put("os", "linux");
    doc.putObject("distro").put("name", distroName).put("version", version).putArray("idLike").add("fedora");
    doc.putObject("descriptor").put("name", "grype").put("version", "0.0.0-synthetic");
    return Reports.read(new ByteArrayInputStream(JsonReports.MAPPER.writeValueAsBytes(doc)), "synthetic-grype-" + distroName);
  }

  /** One Grype match of an rpm artifact. */
  record GrypeMatch(String id, String name, String arch, String installed, Integer metadataEpoch, String purlEpoch,
      List<String> fixed) {
    static GrypeMatch of(String id, String name, String arch, String installed, String... fixed) {
      String e = RpmEpochs.of(installed);
      Integer epoch = e == null ? null : Integer.valueOf(e);
      return new GrypeMatch(id, name, arch, installed, epoch, e, List.of(fixed));
    }
  }
}
