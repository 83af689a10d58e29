package dev.imagepatch.report;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A scanner report in scanner-neutral form: what was scanned, its operating system and
 * architecture, and every finding, OS packages and language packages alike.
 */
public final class Report {
  private final String scanner;
  private final String source;
  private final String artifactName;
  private final OsFamily osFamily;
  private final String osVersion;
  private final String architecture;
  private final String variant;
  private final List<Vulnerability> vulnerabilities;

  /**
   * @param scanner the format that read it (trivy, grype, ...)
   * @param source where it was read from, for messages
   * @param osFamily null when the report names no OS (then it has no OS-package findings)
   * @param architecture null when the report names none
   */
  public Report(String scanner, String source, String artifactName, OsFamily osFamily, String osVersion,
      String architecture, String variant, List<Vulnerability> vulnerabilities) {
    this.scanner = Objects.requireNonNull(scanner, "scanner");
    this.source = Objects.requireNonNull(source, "source");
    this.artifactName = artifactName;
    this.osFamily = osFamily;
    this.osVersion = osVersion;
    this.architecture = architecture == null || architecture.isEmpty() ? null : architecture;
    this.variant = variant == null || variant.isEmpty() ? null : variant;
    this.vulnerabilities = List.copyOf(vulnerabilities);
    if (osFamily == null && this.vulnerabilities.stream().anyMatch(Vulnerability::osPackage)) {
      throw new IllegalArgumentException(source + ": OS-package findings but no OS family");
    }
  }

  public String scanner() {
    return scanner;
  }

  public String source() {
    return source;
  }

  public Optional<String> artifactName() {
    return Optional.ofNullable(artifactName);
  }

  public Optional<OsFamily> osFamily() {
    return Optional.ofNullable(osFamily);
  }

  public Optional<String> osVersion() {
    return Optional.ofNullable(osVersion);
  }

  /** The architecture as the scanner named it (amd64, arm64, ...). */
  public Optional<String> architecture() {
    return Optional.ofNullable(architecture);
  }

  public Optional<String> variant() {
    return Optional.ofNullable(variant);
  }

  /** Every finding, in report order. */
  public List<Vulnerability> vulnerabilities() {
    return vulnerabilities;
  }

  /** The findings in OS packages: what imagepatch can patch. */
  public List<Vulnerability> osVulnerabilities() {
    return vulnerabilities.stream().filter(Vulnerability::osPackage).toList();
  }

  /** The findings in language packages: not patchable as OS packages, reported as such. */
  public List<Vulnerability> languageVulnerabilities() {
    return vulnerabilities.stream().filter(v -> !v.osPackage()).toList();
  }

  @Override
  public String toString() {
    return scanner + " report " + source + " (" + (osFamily == null ? "no OS" : osFamily.id() + " " + osVersion)
        + ", " + (architecture == null ? "no architecture" : architecture) + ", " + vulnerabilities.size()
        + " findings)";
  }
}
