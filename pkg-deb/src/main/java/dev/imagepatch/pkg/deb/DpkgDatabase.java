package dev.imagepatch.pkg.deb;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What dpkg knows is installed: the stanzas of {@code /var/lib/dpkg/status}, or, on Google
 * distroless images, one {@code /var/lib/dpkg/status.d/<name>} file per package (control fields
 * only, no Status). Stanzas keep their exact text so the status file can be rewritten with only
 * the upgraded packages changed.
 */
public final class DpkgDatabase {
  private final boolean distroless;
  private final List<Paragraph> stanzas;
  private final List<InstalledPackage> installed;

  private DpkgDatabase(boolean distroless, List<Paragraph> stanzas, List<InstalledPackage> installed) {
    this.distroless = distroless;
    this.stanzas = List.copyOf(stanzas);
    this.installed = List.copyOf(installed);
  }

  /** Reads a status file; only stanzas with {@code Status: install ok installed} are installed packages. */
  public static DpkgDatabase ofStatus(String status, String source) throws IOException {
    List<Paragraph> stanzas = ControlFile.parse(status, source);
    List<InstalledPackage> installed = new ArrayList<>();
    for (Paragraph p : stanzas) {
      checkName(p, source);
      String state = p.get("Status").map(String::strip).orElse("");
      if (state.endsWith(" installed")) {
        installed.add(of(p, null, source));
      }
    }
    return new DpkgDatabase(false, stanzas, installed);
  }

  /** Reads distroless {@code status.d} files (file name to content); {@code *.md5sums} files are skipped. */
  public static DpkgDatabase ofStatusD(Map<String, String> files) throws IOException {
    List<Paragraph> stanzas = new ArrayList<>();
    List<InstalledPackage> installed = new ArrayList<>();
    for (Map.Entry<String, String> f : new TreeMap<>(files).entrySet()) {
      if (f.getKey().endsWith(".md5sums")) {
        continue;
      }
      for (Paragraph p : ControlFile.parse(f.getValue(), "status.d/" + f.getKey())) {
        stanzas.add(p);
        installed.add(of(p, f.getKey(), "status.d/" + f.getKey()));
      }
    }
    return new DpkgDatabase(true, stanzas, installed);
  }

  private static void checkName(Paragraph p, String source) throws IOException {
    try {
      DpkgFields.packageName(p.require("Package"), source);
    } catch (IllegalArgumentException e) {
      throw new IOException(source + ": " + e.getMessage(), e);
    }
  }

  private static InstalledPackage of(Paragraph p, String file, String source) throws IOException {
    DpkgFields.check(p, source);
    try {
      return new InstalledPackage(p.require("Package"), p.require("Architecture"), p.require("Version"),
          p.get("Multi-Arch").map(String::strip).orElse("no"), p, file);
    } catch (IllegalArgumentException e) {
      throw new IOException(source + ": " + e.getMessage(), e);
    }
  }

  public boolean distroless() {
    return distroless;
  }

  /** Every stanza in file order, installed or not. */
  public List<Paragraph> stanzas() {
    return stanzas;
  }

  /** The installed packages. */
  public List<InstalledPackage> installed() {
    return Collections.unmodifiableList(installed);
  }

  /** The installed package of a name, of {@code architecture} or "all" when several are installed. */
  public Optional<InstalledPackage> find(String name, String architecture) {
    InstalledPackage any = null;
    for (InstalledPackage p : installed) {
      if (p.name().equals(name)) {
        if (p.architecture().equals(architecture) || p.architecture().equals("all")) {
          return Optional.of(p);
        }
        any = p;
      }
    }
    return Optional.ofNullable(any);
  }
}
