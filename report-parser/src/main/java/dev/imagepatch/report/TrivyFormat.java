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

/**
 * Trivy's JSON report, SchemaVersion 2 ({@code trivy image --format json}). Streamed: each
 * finding is read and reduced to what the plan needs before the next, and package lists,
 * descriptions, CVSS data and references are skipped unread, so memory follows the number of
 * findings rather than the size of the file.
 */
public final class TrivyFormat implements ReportFormat {

  @Override
  public String name() {
    return "trivy";
  }

  @Override
  public boolean recognizes(byte[] head) {
    return new String(head, StandardCharsets.UTF_8).contains("\"SchemaVersion\"");
  }

  @Override
  public Report read(InputStream in, String source) throws IOException {
    try (JsonParser p = JsonReports.open(in, source, "Trivy")) {
      return read(p, source);
    } catch (JsonProcessingException e) {
      throw JsonReports.invalid(source, e);
    }
  }

  private Report read(JsonParser p, String source) throws IOException {
    Integer schema = null;
    String artifact = null;
    JsonNode metadata = null;
    List<Vulnerability> findings = new ArrayList<>();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      p.nextToken();
      switch (field) {
        case "SchemaVersion" -> {
          if (p.currentToken() != JsonToken.VALUE_NUMBER_INT) {
            throw new ReportException(source + ": SchemaVersion must be a number");
          }
          schema = p.getIntValue();
          if (schema != 2) {
            throw unsupported(source, schema);
          }
        }
        case "ArtifactName" -> artifact = p.getValueAsString();
        case "Metadata" -> metadata = JsonReports.tree(p);
        case "Results" -> readResults(p, source, findings);
        default -> p.skipChildren();
      }
    }
    if (schema == null) {
      throw new ReportException(source + ": no SchemaVersion; imagepatch reads Trivy JSON reports of SchemaVersion 2");
    }
    OsFamily family = null;
    String osVersion = null;
    String os = metadata == null ? null : JsonReports.text(metadata.path("OS"), "Family");
    if (os != null) {
      family = OsFamily.fromName(os).orElseThrow(() -> new ReportException(source + ": unknown OS family '" + os
          + "' in Metadata.OS.Family (known: " + OsFamily.knownNames() + ")"));
      osVersion = JsonReports.text(metadata.path("OS"), "Name");
    } else if (findings.stream().anyMatch(Vulnerability::osPackage)) {
      throw new ReportException(source + ": missing OS metadata: Metadata.OS.Family is absent but the report has"
          + " OS-package results");
    }
    JsonNode config = metadata == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance()
        : metadata.path("ImageConfig");
    return new Report(name(), source, artifact, family, osVersion, JsonReports.text(config, "architecture"),
        JsonReports.text(config, "variant"), findings);
  }

  private static ReportException unsupported(String source, int schema) {
    return new ReportException(source + ": SchemaVersion " + schema + " is not supported; imagepatch reads Trivy"
        + " JSON reports of SchemaVersion 2 (trivy 0.20 and later)");
  }

  private static void readResults(JsonParser p, String source, List<Vulnerability> findings) throws IOException {
    JsonReports.expectArray(p, source, "Results");
    if (p.currentToken() == JsonToken.VALUE_NULL) {
      return;
    }
    for (int r = 0; JsonReports.nextElement(p, source, "Results"); r++) {
      String target = null;
      String resultClass = null;
      String type = null;
      List<JsonNode> raw = new ArrayList<>();
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        p.nextToken();
        switch (field) {
          case "Target" -> target = p.getValueAsString();
          case "Class" -> resultClass = p.getValueAsString();
          case "Type" -> type = p.getValueAsString();
          case "Vulnerabilities" -> {
            JsonReports.expectArray(p, source, "Results[" + r + "].Vulnerabilities");
            if (p.currentToken() == JsonToken.START_ARRAY) {
              while (JsonReports.nextElement(p, source, "Results[" + r + "].Vulnerabilities")) {
                raw.add(slim(JsonReports.tree(p)));
              }
            }
          }
          default -> p.skipChildren();
        }
      }
      boolean os = "os-pkgs".equals(resultClass)
          || (resultClass == null && type != null && OsFamily.fromName(type).isPresent());
      for (int v = 0; v < raw.size(); v++) {
        findings.add(finding(raw.get(v), source, "Results[" + r + "].Vulnerabilities[" + v + "]", os, type, target));
      }
    }
  }

  /** Keeps only the fields the model uses, so a result's findings wait in little memory. */
  private static JsonNode slim(JsonNode v) {
    var out = JsonReports.MAPPER.createObjectNode();
    for (String f : new String[] {"VulnerabilityID", "PkgName", "SrcName", "InstalledVersion", "FixedVersion",
        "Status", "Severity"}) {
      if (v.has(f)) {
        out.set(f, v.get(f));
      }
    }
    if (v.path("PkgIdentifier").has("PURL")) {
      out.set("PURL", v.path("PkgIdentifier").get("PURL"));
    }
    return out;
  }

  private static Vulnerability finding(JsonNode v, String source, String path, boolean os, String type,
      String target) throws ReportException {
    String id = JsonReports.text(v, "VulnerabilityID");
    String pkg = JsonReports.text(v, "PkgName");
    if (id == null) {
      throw new ReportException(source + ": " + path + ".VulnerabilityID is missing");
    }
    if (pkg == null) {
      throw new ReportException(source + ": " + path + ".PkgName is missing (" + id + ")");
    }
    String purl = JsonReports.text(v, "PURL");
    String installed = JsonReports.text(v, "InstalledVersion");
    if (purl != null && purl.startsWith("pkg:rpm/")) {
      // Trivy writes a non-zero epoch into InstalledVersion; the purl's qualifier covers a report that did not.
      installed = RpmEpochs.installed(installed, PackageUrls.qualifiers(purl).get("epoch"));
    }
    return new Vulnerability(id, pkg, JsonReports.text(v, "SrcName"), installed,
        Vulnerability.splitFixedVersions(JsonReports.text(v, "FixedVersion")), JsonReports.text(v, "Status"),
        JsonReports.text(v, "Severity"), purl, os, type, target, PackageUrls.architecture(purl));
  }
}
