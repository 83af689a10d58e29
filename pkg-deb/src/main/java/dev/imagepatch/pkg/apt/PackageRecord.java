package dev.imagepatch.pkg.apt;

import dev.imagepatch.pkg.deb.DpkgFields;
import dev.imagepatch.pkg.deb.Paragraph;
import java.io.IOException;
import java.util.List;

/**
 * One package of a repository index (a Packages stanza), reduced to what resolution and download
 * need. Relation fields are kept as written and parsed on demand.
 *
 * @param repository the base URI of the archive the record came from (for the download)
 * @param origin a label for messages, e.g. "bookworm-security/main"
 */
public record PackageRecord(String name, String version, String architecture, String multiArch, String source,
    String filename, long size, String sha256, String depends, String preDepends, String breaks, String conflicts,
    String provides, boolean essential, String repository, String origin) {

  static PackageRecord of(Paragraph p, String repository, String origin) throws IOException {
    DpkgFields.check(p, origin);
    try {
      return new PackageRecord(p.require("Package").intern(), p.require("Version"), p.require("Architecture").intern(),
          p.get("Multi-Arch").map(String::strip).map(String::intern).orElse("no"),
          p.get("Source").map(String::strip).orElse(null), p.require("Filename"), Long.parseLong(p.require("Size")),
          p.require("SHA256"), p.get("Depends").orElse(null), p.get("Pre-Depends").orElse(null),
          p.get("Breaks").orElse(null), p.get("Conflicts").orElse(null), p.get("Provides").orElse(null),
          p.get("Essential").map(v -> v.strip().equals("yes")).orElse(false), repository, origin);
    } catch (IllegalArgumentException e) {
      throw new IOException(origin + ": " + e.getMessage(), e);
    }
  }

  /** The source package's name (the binary name when the index names none). */
  public String sourceName() {
    if (source == null) {
      return name;
    }
    int paren = source.indexOf('(');
    return (paren < 0 ? source : source.substring(0, paren)).strip();
  }

  /** Depends and Pre-Depends together, groups of alternatives. */
  public List<List<Dependency>> requirements() throws IOException {
    List<List<Dependency>> all = new java.util.ArrayList<>(Dependency.parseField(preDepends, this + " Pre-Depends"));
    all.addAll(Dependency.parseField(depends, this + " Depends"));
    return all;
  }

  /** Breaks and Conflicts: relations that must not hold among the installed packages. */
  public List<Dependency> negative() throws IOException {
    List<Dependency> out = new java.util.ArrayList<>();
    Dependency.parseField(breaks, this + " Breaks").forEach(out::addAll);
    Dependency.parseField(conflicts, this + " Conflicts").forEach(out::addAll);
    return out;
  }

  public List<Dependency> provided() throws IOException {
    List<Dependency> out = new java.util.ArrayList<>();
    Dependency.parseField(provides, this + " Provides").forEach(out::addAll);
    return out;
  }

  @Override
  public String toString() {
    return name + ":" + architecture + " " + version + " (" + origin + ")";
  }
}
