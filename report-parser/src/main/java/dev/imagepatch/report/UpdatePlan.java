package dev.imagepatch.report;

import dev.imagepatch.pkg.InvalidVersionException;
import dev.imagepatch.pkg.PackageManager;
import dev.imagepatch.pkg.VersionOrder;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * What patching a report's image means: for each OS package with fixable findings, the installed
 * version, the version to reach and the vulnerabilities that fixes; the packages whose findings
 * have no fix; the language-package findings, which OS packages cannot fix; and, with
 * {@code ignoreErrors}, the entries that could not be read or compared.
 *
 * <p>A finding may list several fixed versions (one per release stream); the one that applies is
 * the lowest listed version above the installed one. The target of a package is the highest of
 * those over its findings, by the package manager's own version order (for rpm, {@code RpmVersion}:
 * epoch first, so {@code 1:1.0-1} is above {@code 2.0-1}). A package listed for two architectures
 * at two versions (an rpm multilib pair) is one update from the lowest of them.
 */
public final class UpdatePlan {

  /**
   * One package to upgrade.
   *
   * @param installedVersion the installed version (the lowest, when the report lists the package
   *     installed for two architectures at two versions, as rpm allows for multilib i686 beside x86_64)
   * @param architectures the package's architectures the findings name ({@code x86_64}, {@code noarch},
   *     both of a multilib pair), sorted; empty when the report states none
   */
  public record PackageUpdate(String name, String sourceName, String installedVersion, String targetVersion,
      List<String> vulnerabilities, List<String> architectures) {
    public PackageUpdate {
      vulnerabilities = List.copyOf(vulnerabilities);
      architectures = List.copyOf(architectures);
    }

    /** An update whose architectures the report does not state. */
    public PackageUpdate(String name, String sourceName, String installedVersion, String targetVersion,
        List<String> vulnerabilities) {
      this(name, sourceName, installedVersion, targetVersion, vulnerabilities, List.of());
    }
  }

  /** A package with findings no released version fixes. */
  public record NoFix(String name, String installedVersion, List<String> vulnerabilities) {}

  /** An entry left out under {@code ignoreErrors}, with the reason. */
  public record Skipped(String name, String reason) {}

  private final Report report;
  private final List<PackageUpdate> updates;
  private final List<NoFix> noFix;
  private final List<String> alreadyFixed;
  private final List<Skipped> skipped;
  private final Map<String, Integer> languageFindings;

  private UpdatePlan(Report report, List<PackageUpdate> updates, List<NoFix> noFix, List<String> alreadyFixed,
      List<Skipped> skipped, Map<String, Integer> languageFindings) {
    this.report = report;
    this.updates = List.copyOf(updates);
    this.noFix = List.copyOf(noFix);
    this.alreadyFixed = List.copyOf(alreadyFixed);
    this.skipped = List.copyOf(skipped);
    this.languageFindings = Map.copyOf(languageFindings);
  }

  /**
   * Plans a report. Without {@code ignoreErrors}, an unreadable entry (an invalid version, one
   * package installed at two versions) fails the whole plan with a {@link PlanException} naming it;
   * with it, the package is skipped and listed.
   */
  public static UpdatePlan of(Report report, boolean ignoreErrors) throws PlanException {
    Map<String, List<Vulnerability>> byPackage = new TreeMap<>();
    for (Vulnerability v : report.osVulnerabilities()) {
      byPackage.computeIfAbsent(v.packageName(), k -> new ArrayList<>()).add(v);
    }
    Map<String, Integer> language = new TreeMap<>();
    for (Vulnerability v : report.languageVulnerabilities()) {
      language.merge(v.packageType() == null ? "unknown" : v.packageType(), 1, Integer::sum);
    }
    List<PackageUpdate> updates = new ArrayList<>();
    List<NoFix> noFix = new ArrayList<>();
    List<String> alreadyFixed = new ArrayList<>();
    List<Skipped> skipped = new ArrayList<>();
    if (byPackage.isEmpty()) {
      return new UpdatePlan(report, updates, noFix, alreadyFixed, skipped, language);
    }
    OsFamily family = report.osFamily().orElseThrow();
    VersionOrder order = family.packageManager().orElseThrow(() -> new PlanException(report.source() + ": "
        + family.id() + " images have no package manager imagepatch patches with")).versionOrder();
    for (Map.Entry<String, List<Vulnerability>> e : byPackage.entrySet()) {
      try {
        plan(e.getKey(), e.getValue(), order, updates, noFix, alreadyFixed);
      } catch (PlanException ex) {
        if (!ignoreErrors) {
          throw ex;
        }
        skipped.add(new Skipped(e.getKey(), ex.getMessage()));
      }
    }
    return new UpdatePlan(report, updates, noFix, alreadyFixed, skipped, language);
  }

  private static void plan(String name, List<Vulnerability> findings, VersionOrder order, List<PackageUpdate> updates,
      List<NoFix> noFix, List<String> alreadyFixed) throws PlanException {
    Map<String, String> installedByArch = new TreeMap<>();
    String installed = null;
    for (Vulnerability v : findings) {
      String version = v.installedVersion();
      if (version == null) {
        throw new PlanException(name + ": no installed version in the report (" + v.id() + ")");
      }
      check(order, version, name, "installed version");
      String arch = v.architecture() == null ? "" : v.architecture();
      String seen = installedByArch.putIfAbsent(arch, version);
      if (seen != null && order.compare(seen, version) != 0) {
        throw new PlanException(name + ": installed at two versions in the report, " + seen + " and " + version
            + (arch.isEmpty() ? "" : " (both " + arch + ")"));
      }
      if (installed == null || order.compare(version, installed) < 0) {
        installed = version;
      }
    }
    if (installedByArch.size() > 1 && installedByArch.containsKey("")) {
      // One finding names no architecture: it cannot be told apart from the others.
      List<String> versions = installedByArch.values().stream().distinct().toList();
      if (versions.size() > 1) {
        throw new PlanException(name + ": installed at two versions in the report, " + String.join(" and ", versions));
      }
    }
    String target = null;
    String source = null;
    Set<String> fixedIds = new LinkedHashSet<>();
    Set<String> unfixedIds = new LinkedHashSet<>();
    for (Vulnerability v : findings) {
      if (source == null) {
        source = v.sourceName();
      }
      if (v.fixedVersions().isEmpty()) {
        unfixedIds.add(v.id());
        continue;
      }
      // Each finding's fix is judged against its own installed version (a multilib pair may differ).
      Optional<String> fix = applicableFix(v, v.installedVersion(), order, name);
      if (fix.isEmpty()) {
        if (!alreadyFixed.contains(v.id() + " (" + name + ")")) {
          alreadyFixed.add(v.id() + " (" + name + ")");
        }
        continue;
      }
      fixedIds.add(v.id());
      if (target == null || order.compare(fix.get(), target) > 0) {
        target = fix.get();
      }
    }
    if (target != null) {
      List<String> arches = installedByArch.keySet().stream().filter(a -> !a.isEmpty()).toList();
      updates.add(new PackageUpdate(name, source, installed, target, List.copyOf(fixedIds), arches));
    }
    if (!unfixedIds.isEmpty()) {
      noFix.add(new NoFix(name, installed, List.copyOf(unfixedIds)));
    }
  }

  /** The lowest listed fixed version above the installed one; empty when the installed one is fixed. */
  private static Optional<String> applicableFix(Vulnerability v, String installed, VersionOrder order, String name)
      throws PlanException {
    String best = null;
    for (String fixed : v.fixedVersions()) {
      check(order, fixed, name, "fixed version of " + v.id());
      if (order.compare(fixed, installed) > 0 && (best == null || order.compare(fixed, best) < 0)) {
        best = fixed;
      }
    }
    return Optional.ofNullable(best);
  }

  private static void check(VersionOrder order, String version, String name, String what) throws PlanException {
    try {
      order.validate(version);
    } catch (InvalidVersionException e) {
      throw new PlanException(name + ": " + what + ": " + e.getMessage());
    }
  }

  public Report report() {
    return report;
  }

  /** The package manager that applies the plan, when the report has an OS. */
  public Optional<PackageManager> packageManager() {
    return report.osFamily().flatMap(OsFamily::packageManager);
  }

  /** The packages to upgrade, by name. */
  public List<PackageUpdate> updates() {
    return updates;
  }

  /** The packages with findings no release fixes yet, by name. */
  public List<NoFix> noFix() {
    return noFix;
  }

  /** Findings whose fixed version the installed one already reaches ("ID (package)"). */
  public List<String> alreadyFixed() {
    return alreadyFixed;
  }

  /** The entries left out under ignoreErrors. */
  public List<Skipped> skipped() {
    return skipped;
  }

  /** Language-package findings by package type: not patchable as OS packages. */
  public Map<String, Integer> languageFindings() {
    return languageFindings;
  }

  /** The number of language-package findings. */
  public int languageFindingCount() {
    return languageFindings.values().stream().mapToInt(Integer::intValue).sum();
  }

  /** The plan cannot be made; the message names the package and the entry. */
  public static final class PlanException extends Exception {
    public PlanException(String message) {
      super(message);
    }
  }
}
