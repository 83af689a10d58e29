package dev.imagepatch.report;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Grype's JSON report ({@code grype -o json}): {@code matches[]} with the vulnerability and the
 * matched artifact, {@code distro} and {@code source}. Streamed one match at a time. An rpm's
 * architecture is its purl's {@code arch} qualifier; its epochs are read as Grype compares them
 * ({@link RpmEpochs}).
 */
public final class GrypeFormat implements ReportFormat {
  /** Artifact types of OS packages; every other type is a language package. */
  private static final Set<String> OS_TYPES = Set.of("deb", "apk", "rpm");

  @Override
  public String name() {
    return "grype";
  }

  @Override
  public boolean recognizes(byte[] head) {
    String s = new String(head, StandardCharsets.UTF_8);
    return s.contains("\"matches\"") && !s.contains("\"SchemaVersion\"");
  }

  @Override
  public Report read(InputStream in, String source) throws IOException {
    try (JsonParser p = JsonReports.open(in, source, "Grype")) {
      return read(p, source);
    } catch (JsonProcessingException e) {
      throw JsonReports.invalid(source, e);
    }
  }

  private Report read(JsonParser p, String source) throws IOException {
    List<Vulnerability> findings = new ArrayList<>();
    JsonNode distro = null;
    JsonNode target = null;
    boolean sawMatches = false;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      p.nextToken();
      switch (field) {
        case "matches" -> {
          sawMatches = true;
          JsonReports.expectArray(p, source, "matches");
          if (p.currentToken() == JsonToken.START_ARRAY) {
            for (int i = 0; JsonReports.nextElement(p, source, "matches"); i++) {
              findings.add(finding(JsonReports.tree(p), source, "matches[" + i + "]"));
            }
          }
        }
        case "distro" -> distro = JsonReports.tree(p);
        case "source" -> target = JsonReports.tree(p).path("target");
        default -> p.skipChildren();
      }
    }
    if (!sawMatches) {
      throw new ReportException(source + ": not a Grype JSON report: no matches field");
    }
    OsFamily family = null;
    String name = distro == null ? null : JsonReports.text(distro, "name");
    if (name != null) {
      family = OsFamily.fromName(name).orElseThrow(() -> new ReportException(source + ": unknown OS family '" + name
          + "' in distro.name (known: " + OsFamily.knownNames() + ")"));
    } else if (findings.stream().anyMatch(Vulnerability::osPackage)) {
      throw new ReportException(source + ": missing OS metadata: distro.name is absent but the report has"
          + " OS-package matches");
    }
    String architecture = target == null ? null : JsonReports.text(target, "architecture");
    return new Report(name(), source, target == null ? null : JsonReports.text(target, "userInput"), family,
        distro == null ? null : JsonReports.text(distro, "version"), architecture, null, findings);
  }

  private static Vulnerability finding(JsonNode match, String source, String path) throws ReportException {
    JsonNode vuln = match.path("vulnerability");
    JsonNode artifact = match.path("artifact");
    String id = JsonReports.text(vuln, "id");
    String pkg = JsonReports.text(artifact, "name");
    if (id == null) {
      throw new ReportException(source + ": " + path + ".vulnerability.id is missing");
    }
    if (pkg == null) {
      throw new ReportException(source + ": " + path + ".artifact.name is missing (" + id + ")");
    }
    String type = JsonReports.text(artifact, "type");
    String purl = JsonReports.text(artifact, "purl");
    String installed = JsonReports.text(artifact, "version");
    boolean rpm = "rpm".equals(type);
    if (rpm) {
      // syft puts the epoch in the version; an SBOM-fed scan may carry it only in metadata or the purl.
      String epoch = JsonReports.text(artifact.path("metadata"), "epoch");
      installed = RpmEpochs.installed(installed, epoch != null ? epoch : PackageUrls.qualifiers(purl).get("epoch"));
    }
    List<String> fixed = new ArrayList<>();
    for (JsonNode v : vuln.path("fix").path("versions")) {
      if (!v.asText().isBlank()) {
        String f = v.asText().strip();
        fixed.add(rpm ? RpmEpochs.grypeFixed(installed, f) : f);
      }
    }
    JsonNode upstream = artifact.path("upstreams").path(0);
    return new Vulnerability(id, pkg, JsonReports.text(upstream, "name"), installed, fixed,
        JsonReports.text(vuln.path("fix"), "state"), JsonReports.text(vuln, "severity"), purl,
        type != null && OS_TYPES.contains(type), type, null, PackageUrls.architecture(purl));
  }
}
